import Foundation
import Testing
import COpenBLAS
@testable import NoetherTensor

@Suite("OpenBLAS's fallback kernels are replaced on CPUs it does not know")
struct BLASKernelsTests {
    @Test func onlyTheFallbackIsReplacedAndOnlyByKernelsTheCPUSupports() {
        #expect(BLASKernels.replacement(forDetected: "Prescott", vectorLevel: 2, userChoice: nil) == "SkylakeX")
        #expect(BLASKernels.replacement(forDetected: "PRESCOTT", vectorLevel: 1, userChoice: nil) == "Haswell")
        #expect(BLASKernels.replacement(forDetected: "Prescott", vectorLevel: 0, userChoice: nil) == nil)
        // A recognised core and a user's choice are kept.
        #expect(BLASKernels.replacement(forDetected: "Cooperlake", vectorLevel: 2, userChoice: nil) == nil)
        #expect(BLASKernels.replacement(forDetected: "Prescott", vectorLevel: 2, userChoice: "Prescott") == nil)
    }

    @Test func productsRunOnVectorKernelsAndStayCorrect() {
        var generator = RandomGenerator(seed: 5)
        let a = Tensor<Float>.normal([67, 45], using: &generator)
        let b = Tensor<Float>.normal([45, 38], using: &generator)
        let product = a.matmul(b)
        // The first product has run the selection.
        let chosenByUser = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]?.lowercased() == "prescott"
        if noether_x86_vector_level() > 0 && !chosenByUser {
            #expect(BLASKernels.coreName.lowercased() != "prescott")
        }
        var worst: Float = 0
        for i in 0..<67 {
            for j in 0..<38 {
                var sum: Double = 0
                for k in 0..<45 { sum += Double(a[i, k]) * Double(b[k, j]) }
                worst = max(worst, abs(product[i, j] - Float(sum)))
            }
        }
        #expect(worst < 1e-4)
    }
}
