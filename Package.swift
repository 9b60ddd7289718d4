// swift-tools-version: 6.1
import PackageDescription

// Layers, each depending only on those below it (DESIGN.md §2):
// CLI → Lab (experiments, reports) → Sweeps (sweeps, run store) → Training (trainer, callbacks,
// configs, run directories, tracking) → (Symmetry, Represent) → IO, Data → NN → Autograd → Tensor
// → OpenBLAS; Benchmarks → Training, used by the CLI.
let package = Package(
    name: "Noether",
    products: [
        .library(name: "Noether", targets: ["Noether"]),
        .executable(name: "noether", targets: ["NoetherCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "NoetherTensor",
            dependencies: [
                "COpenBLAS",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        .target(name: "NoetherAutograd", dependencies: ["NoetherTensor"]),
        .target(
            name: "NoetherNN",
            dependencies: [
                "NoetherTensor", "NoetherAutograd",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
        .target(
            name: "NoetherIO",
            dependencies: [
                "NoetherTensor", "NoetherNN", "CZlib",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
        .target(name: "NoetherData", dependencies: ["NoetherTensor", "NoetherNN", "NoetherIO"]),
        .target(
            name: "NoetherSymmetry",
            dependencies: [
                "NoetherTensor", "NoetherAutograd", "NoetherNN",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        .target(
            name: "NoetherRepresent",
            dependencies: [
                "NoetherTensor", "NoetherAutograd", "NoetherNN",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        // Training: the trainer and its callbacks, configs, run directories, symmetry tracking.
        .target(
            name: "NoetherTraining",
            dependencies: [
                "NoetherTensor", "NoetherAutograd", "NoetherNN", "NoetherIO", "NoetherData", "NoetherSymmetry",
                "NoetherRepresent",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Sweeps and their executors, and the run store.
        .target(
            name: "NoetherSweeps",
            dependencies: [
                "NoetherTensor", "NoetherNN", "NoetherIO", "NoetherData", "NoetherSymmetry", "NoetherTraining",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Experiments (E1–E12), their reports, and weight-file analysis.
        .target(
            name: "NoetherLab",
            dependencies: [
                "NoetherTensor", "NoetherAutograd", "NoetherNN", "NoetherIO", "NoetherData", "NoetherSymmetry",
                "NoetherRepresent", "NoetherTraining", "NoetherSweeps",
            ]
        ),
        // The workloads of `noether bench`.
        .target(
            name: "NoetherBenchmarks",
            dependencies: [
                "NoetherTensor", "NoetherAutograd", "NoetherNN", "NoetherIO", "NoetherData", "NoetherSymmetry",
                "NoetherRepresent", "NoetherTraining",
            ]
        ),
        .target(
            name: "Noether",
            dependencies: [
                "NoetherTensor", "NoetherAutograd", "NoetherNN", "NoetherIO", "NoetherData",
                "NoetherSymmetry", "NoetherRepresent", "NoetherTraining", "NoetherSweeps", "NoetherLab",
            ]
        ),
        .executableTarget(
            name: "NoetherCLI",
            dependencies: [
                "Noether", "NoetherBenchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "NoetherTensorTests", dependencies: ["NoetherTensor"]),
        .testTarget(name: "NoetherAutogradTests", dependencies: ["NoetherAutograd", "NoetherTensor"]),
        .testTarget(name: "NoetherNNTests", dependencies: ["NoetherNN", "NoetherAutograd", "NoetherTensor"]),
        .testTarget(
            name: "NoetherIOTests",
            dependencies: ["NoetherIO", "NoetherNN", "NoetherTensor"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "NoetherDataTests", dependencies: ["NoetherData", "NoetherIO", "NoetherTensor"]),
        .testTarget(name: "NoetherSymmetryTests", dependencies: ["NoetherSymmetry", "NoetherNN", "NoetherAutograd", "NoetherTensor"]),
        .testTarget(name: "NoetherRepresentTests", dependencies: ["NoetherRepresent", "NoetherNN", "NoetherTensor"]),
        .testTarget(name: "NoetherLabTests", dependencies: ["NoetherLab", "NoetherTraining", "NoetherSweeps", "NoetherBenchmarks", "Noether"]),
        .testTarget(name: "NoetherCLITests", dependencies: ["NoetherCLI"]),
    ]
)

// Fuzz targets, one executable per parser (Fuzz/README.md). They exist only when NOETHER_FUZZ=1,
// so `swift build` and `swift test` never build them; scripts/fuzz.sh builds them with
// `-sanitize=fuzzer,address` and runs them.
if Context.environment["NOETHER_FUZZ"] == "1" {
    let parsers = ["safetensors", "safetensorsIndex", "npy", "npz", "idx", "csv", "config", "tensorBoard"]
    package.targets += [
        .target(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"),
        .target(name: "NoetherFuzzing", dependencies: ["CFuzzerDriver", "NoetherIO", "NoetherTensor", "NoetherTraining"], path: "Fuzz/NoetherFuzzing"),
    ] + parsers.map { .executableTarget(name: "fuzz-\($0)", dependencies: ["NoetherFuzzing"], path: "Fuzz/Targets/\($0)") }
}
