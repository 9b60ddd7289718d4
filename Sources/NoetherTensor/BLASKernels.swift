import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

// OpenBLAS chooses its kernels by CPU model when it loads. A model newer than the library gets
// its generic "Prescott" fallback — SSE3 kernels — whatever the CPU can do: OpenBLAS 0.3.21
// does not know Emerald Rapids (family 6, model 207), and on such a machine sgemm of 1024³ ran
// at 31 GFLOP/s where the AVX-512 kernels reach 133 (docs/benchmarks.md). The only remedy
// OpenBLAS offers is the OPENBLAS_CORETYPE variable, read at load time, before any of our code
// runs. Its dynamic-architecture builds export the loader's two steps, so when the fallback is
// in use and the user has not chosen a core, Noether sets the variable to the widest kernels
// the CPU supports and runs the selection again — once, before the first BLAS call. The
// variable stays set, so processes Noether starts (sweep trials) load the right kernels directly.

/// Which OpenBLAS kernels run, and the replacement of OpenBLAS's fallback for unknown CPUs.
public enum BLASKernels {
    /// The core OpenBLAS reports for its kernels (e.g. "SkylakeX", "Haswell", "Prescott").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The core to select instead of `detected` for a CPU of `vectorLevel` (see
    /// `noether_x86_vector_level`), or nil to keep OpenBLAS's choice: only its generic fallback
    /// is replaced, never a core it recognised nor one the user chose.
    public static func replacement(forDetected detected: String, vectorLevel: Int, userChoice: String?) -> String? {
        guard userChoice == nil, detected.lowercased() == "prescott" else { return nil }
        switch vectorLevel {
        case 2...: return "SkylakeX"
        case 1: return "Haswell"
        default: return nil
        }
    }

    private typealias Step = @convention(c) () -> Void

    /// Replaces the fallback core when that applies and the library can select again.
    static func selectForThisCPU() {
        let userChoice = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        guard let core = replacement(forDetected: coreName, vectorLevel: Int(noether_x86_vector_level()), userChoice: userChoice),
              let quit = dlsym(nil, "gotoblas_dynamic_quit"), let initialise = dlsym(nil, "gotoblas_dynamic_init") else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        unsafeBitCast(quit, to: Step.self)()
        unsafeBitCast(initialise, to: Step.self)()
    }
}
