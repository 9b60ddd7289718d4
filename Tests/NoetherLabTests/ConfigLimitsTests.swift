import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherNN

/// Configs a hostile or careless user might write (issue 17): refused before anything is
/// allocated, with the key and the rule.
@Suite("Config limits and messages")
struct ConfigLimitsTests {
    func error(_ yaml: String, format: ConfigLoader.Format = .yaml) -> String {
        do {
            let config = try ConfigLoader.decode(RunConfig.self, from: yaml, format: format, source: "c.yaml")
            try config.validate()
            return "no error"
        } catch {
            return error.description
        }
    }

    func config(hidden: String = "[32]", train: String = "500", dimension: String = "20", extra: String = "") -> String {
        """
        name: t
        model: {kind: mlp, input: \(dimension), hidden: \(hidden), output: 1}
        data: {kind: staircase, dimension: \(dimension), degree: 3, train: \(train), test: 200}
        training: {steps: 10}
        \(extra)
        """
    }

    // Defect 5: sizes that aborted in the allocator or trapped on overflow.
    @Test func configsTooLargeForMemoryAreRefusedWithTheEstimate() {
        for (hidden, train, dimension) in [("[1000000000000]", "500", "20"), ("[32]", "1000000000000", "20"), ("[32]", "500", "1000000000"),
                                           ("[2147483648]", "500", "20"), ("[4611686018427387904]", "500", "20")] {
            let message = error(config(hidden: hidden, train: train, dimension: dimension))
            #expect(message.contains("needs about") && message.contains("--max-memory"), "\(message)")
        }
        #expect(error(config()) == "no error")
    }

    // The layer-graph presets (resnet, vit, gpt) have closed-form estimates; a free graph is
    // counted from its layout once its sizes are small enough to build it.
    @Test func graphModelEstimatesFollowTheirParameterCounts() throws {
        for name in ["resnet", "vit", "gpt"] {
            let config = try ConfigLoader.load(RunConfig.self, from: RepositoryFiles.locate("examples/\(name).yaml") ?? "")
            let counted = try Architecture(config.model).layout.reduce(0.0) { $0 + Double($1.shape.count) }
            let estimated = MemoryEstimate(config).parameters
            #expect(estimated > 0.7 * counted && estimated < 1.5 * counted, "\(name): estimated \(estimated), counted \(counted)")
        }
        let hugeGPT = "name: t\nmodel: {kind: gpt, vocabulary: 23, sequence_length: 4, width: 4611686018427387904, heads: 4}\n"
            + "data: {kind: modular_addition, modulus: 23}\ntraining: {steps: 10}"
        #expect(error(hugeGPT).contains("needs about"), "\(error(hugeGPT))")
        let hugeGraph = "name: t\nmodel: {kind: graph, input: [20], layers: [{kind: dense, units: 1099511627776}, {kind: dense, units: 1}]}\n"
            + "data: {kind: staircase, dimension: 20, degree: 3, train: 50, test: 20}\ntraining: {steps: 10}"
        #expect(error(hugeGraph).contains("needs about 352.0 TiB"), "\(error(hugeGraph))")
        let overflowingGraph = hugeGraph.replacingOccurrences(of: "units: 1}", with: "units: 1099511627776}")
        #expect(error(overflowingGraph).contains("overflow"), "\(error(overflowingGraph))")
        let smallGraph = "name: t\nmodel: {kind: graph, input: [20], layers: [{kind: dense, units: 8}, {kind: dense, units: 1}]}\n"
            + "data: {kind: staircase, dimension: 20, degree: 3, train: 50, test: 20}\ntraining: {steps: 10}"
        let graph = try ConfigLoader.decode(RunConfig.self, from: smallGraph, format: .yaml, source: "c.yaml")
        #expect(MemoryEstimate(graph).parameters == 20 * 8 + 8 + 8 + 1)
    }

    @Test func theMemoryLimitIsAFlag() throws {
        let small = try ConfigLoader.decode(RunConfig.self, from: config(), format: .yaml, source: "c.yaml")
        let estimate = MemoryEstimate(small)
        #expect(estimate.bytes > 0 && estimate.bytes < 50e6)
        #expect(throws: RunError.self) { try small.validate(memoryLimit: Int(estimate.bytes) - 1) }
        #expect(throws: Never.self) { try small.validate(memoryLimit: Int(estimate.bytes) + 1) }
        #expect(MemoryEstimate.parseSize("8G") == 8 << 30)
        #expect(MemoryEstimate.parseSize("512M") == 512 << 20)
        #expect(MemoryEstimate.parseSize("1000") == 1000)
        #expect(MemoryEstimate.parseSize("lots") == nil && MemoryEstimate.parseSize("-1G") == nil)
    }

    // Defect 6: anchors and aliases are refused before they are expanded; size and depth capped.
    @Test func yamlAnchorsAndAliasesAreRefusedBeforeExpansion() {
        let bomb = """
            a: &a [x,x,x,x,x,x,x,x,x]
            b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
            c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
            d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
            e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
            f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
            g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
            h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
            i: [*h,*h,*h,*h,*h,*h,*h,*h,*h]
            """
        #expect(error(bomb).contains("anchors (&name) are not supported"))
        #expect(error(config(extra: "control: *x")).contains("aliases (*name) are not supported"))
        // The same characters inside values, quotes and comments are fine.
        #expect(error(config(extra: "# a &comment with *stars\n")) == "no error")
        #expect(!error("name: 'a &b *c'\n").contains("not supported"))
        #expect(!error("name: rock & roll\n").contains("not supported"))
    }

    @Test func documentSizeAndDepthAreCapped() {
        #expect(error(String(repeating: "#", count: (1 << 20) + 1)).contains("a config may have at most"))
        #expect(error("name: " + String(repeating: "[", count: 10_000)).contains("nested deeper than"))
        #expect(error("{\"name\": " + String(repeating: "[", count: 10_000) + "}", format: .json).contains("nested deeper than"))
    }

    // Defect 15: messages name the key and the rule.
    @Test func nonFiniteNumbersAndNegativeSeedsNameTheKey() {
        let nan = error(config(extra: "optimizer: {learning_rate: .nan}"))
        #expect(nan.contains("'optimizer.learning_rate' is not a finite number"), "\(nan)")
        #expect(!nan.contains("NSCocoaErrorDomain"))
        let seed = error(config(extra: "seed: -1"))
        #expect(seed.contains("seed") && seed.contains("-1") && !seed.contains("top level"), "\(seed)")
    }

    // Defect 7: the run directory cannot be empty or outside runs/.
    @Test func namesAndOutputsMustBeSafePaths() {
        for name in ["../../../x", "a/b", "..", ".", "''"] {
            #expect(error(config().replacingOccurrences(of: "name: t", with: "name: \(name)")).contains("one path component"), "\(name)")
        }
        #expect(error(config(extra: "output: ''")).contains("output must name a directory"))
        #expect(error(config(extra: "output: runs/elsewhere")) == "no error")
    }
}
