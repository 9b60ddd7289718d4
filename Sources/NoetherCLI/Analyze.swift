import ArgumentParser
import Foundation
import Noether

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-layer symmetry analysis of a weights file: ranks, spectra, dead and distinct neurons, attention-head ranks.",
        discussion: """
        FILE_OR_DIR is a .safetensors file, a sharded model.safetensors.index.json, a Hugging Face \
        model directory, or a Noether run directory. The architecture is inferred from tensor names \
        and shapes in the layer kinds of the model graph (BERT, RoBERTa, ALBERT, DistilBERT, GPT-2, \
        GPT-NeoX, Llama/Mistral/Qwen2, T5, ViT, DINOv2, CLIP, ResNet, MobileNet, nn.Sequential MLPs \
        and CNNs); every tensor appears in a row with status `ok` or `skipped: reason`. Attention \
        heads, key/value heads and RoPE come from a config.json beside the weights or from --heads.
        """)

    @Argument(help: "The weights: file or directory.") var path: String
    @OptionGroup var output: FormatOptions
    @Option(help: "Only layers whose name matches this regular expression.") var layers: String?
    @Option(help: "Attention heads per layer (overrides the model's config.json).") var heads: Int?
    @Flag(help: "Fold RMSNorm gains into the weights that read them: the residual stream's gauge becomes O(d).") var foldNorms = false
    @Option(help: "Rows measured in parallel (each job holds one row's matrices; results are the same for any number).") var jobs = 1
    @Option(help: "Measure only K query heads per attention layer, drawn with --seed (the JSON lists them).") var sampleHeads: Int?
    @Option(help: "Seed of the --sample-heads draw.") var seed: UInt64 = 0
    @Flag(help: "Also give every matrix's singular values (JSON: singular_values), to check them against another implementation.") var spectra = false

    func validate() throws {
        if let heads, heads <= 0 { throw ValidationError("--heads must be positive") }
        if jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be between 1 and 256, got \(jobs)") }
        if let sampleHeads, sampleHeads < 1 { throw ValidationError("--sample-heads must be at least 1, got \(sampleHeads)") }
    }

    func run() throws {
        let bar = ProgressBar.onTerminal(label: "analyze")
        var scale = AnalysisScale(jobs: jobs, sampleHeads: sampleHeads, seed: seed, spectra: spectra)
        if let bar { scale.progress = { done, total in bar.update(done, of: total) } }
        let report = try WeightAnalysis.analyze(path, heads: heads, layers: layers, foldNorms: foldNorms, scale: scale)
        bar?.finish()
        if output.chosen != .table {
            for warning in report.model.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        }
        try output.print(report, table: { Self.table(report) }, csv: { Self.csv(report) })
    }

    static func number(_ value: Double?, _ format: String = "%.3g") -> String { value.map { String(format: format, $0) } ?? "" }

    static func csv(_ report: WeightAnalysisReport) -> CSVTable {
        let header = ["name", "kind", "shape", "status", "rank", "rank_1e-2", "rank_1e-4", "effective_rank", "stable_rank", "spectral_norm",
                      "frobenius_norm", "dead", "distinct", "sign_paired", "degree_of_symmetry", "heads_qk_rank", "heads_vo_rank", "tensors"]
        return CSVTable(header: header, rows: report.layers.map { row -> [String] in
            [
                row.name, row.kind, row.shape.map(String.init).joined(separator: "x"), row.status,
                row.rank.map(String.init) ?? "", row.ranks?["0.01"].map(String.init) ?? "", row.ranks?["0.0001"].map(String.init) ?? "",
                number(row.effectiveRank, "%.6g"), number(row.stableRank, "%.6g"), number(row.spectralNorm, "%.6g"), number(row.frobeniusNorm, "%.6g"),
                row.dead.map(String.init) ?? "", row.distinct.map(String.init) ?? "", row.signPaired.map(String.init) ?? "",
                number(row.degreeOfSymmetry, "%.6g"),
                row.heads.map { $0.map { String($0.qkRank) }.joined(separator: " ") } ?? "",
                row.heads.map { $0.map { String($0.voRank) }.joined(separator: " ") } ?? "",
                row.tensors.joined(separator: " "),
            ]
        })
    }

    static func table(_ report: WeightAnalysisReport) -> String {
        let t = report.thresholds
        var lines = ["\(report.model.path): \(report.model.family), \(report.model.tensors) tensors, \(report.model.parameters) parameters"
            + (report.model.heads.map { ", \($0) heads" } ?? "") + (report.model.keyValueHeads.map { " (\($0) key/value heads)" } ?? ""),
            "thresholds: rank σ > \(t.rankAbsolute.map { "\($0)" } ?? "\(t.rankRelative)·σ_max"), dead ‖u‖ < \(t.deadAbsolute.map { "\($0)" } ?? "\(t.deadRelative)·median"), distinct tolerance \(t.distinctTolerance)",
        ] + report.model.warnings.map { "warning: \($0)" } + (report.model.residualStream.map { s in
            ["residual stream: width \(s.width), gauge \(s.gauge)" + (s.normsFolded > 0 ? " (\(s.normsFolded) RMSNorm gains folded)" : "")]
        } ?? []) + [
            "",
            "layer                                            kind            shape         rank  eff.rank  stable  dead  distinct  degree   status"]
        for row in report.layers {
            let shape = row.shape.map(String.init).joined(separator: "×")
            var line = "\(row.name.padding(toLength: 48, withPad: " ", startingAt: 0)) \(row.kind.padding(toLength: 15, withPad: " ", startingAt: 0)) \(shape.padding(toLength: 12, withPad: " ", startingAt: 0))"
            func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
            line += " " + right(row.rank.map(String.init) ?? "", 5) + " " + right(number(row.effectiveRank, "%.1f"), 9)
                + " " + right(number(row.stableRank, "%.1f"), 7) + " " + right(row.dead.map(String.init) ?? "", 5)
                + " " + right(row.distinct.map(String.init) ?? "", 9) + " " + right(number(row.degreeOfSymmetry, "%.3f"), 7)
            line += "   \(row.status)"
            lines.append(line)
            if let heads = row.heads, !heads.isEmpty {
                lines.append("    heads: W_Q W_Kᵀ rank " + heads.map { String($0.qkRank) }.joined(separator: " ")
                             + " | W_V W_O rank " + heads.map { String($0.voRank) }.joined(separator: " ")
                             + (row.keyValueHeads.map { $0 < heads.count ? " | key/value group " + heads.map { String($0.group) }.joined(separator: " ") : "" } ?? ""))
                if let rotary = row.rotaryDimensions {
                    lines.append("    RoPE (\(rotary) rotated dims): active frequency pairs per head " + heads.map { String(($0.ropePairRanks ?? []).filter { $0 > 0 }.count) }.joined(separator: " "))
                }
            }
        }
        let s = report.summary
        lines.append("")
        lines.append("\(s.layers) rows: \(s.analysed) analysed, \(s.skipped) skipped (see status); \(s.attentionLayers) attention layers, \(s.headsAnalysed) heads"
            + (s.attentionDegreeOfSymmetry.map { String(format: "; attention degree of symmetry %.3f", $0) } ?? "")
            + (s.meanDegreeOfSymmetry.map { String(format: "; mean degree of symmetry %.3f", $0) } ?? "")
            + String(format: "; %.2f s", s.seconds))
        return lines.joined(separator: "\n")
    }
}
