import Foundation
import NoetherIO
import NoetherSweeps
import NoetherTraining

/// Self-contained HTML reports: the claim, the settings (ours marked), the verdict with its
/// numbers, and the figures as inline SVG — readable without a network.
public enum ReportWriter {
    /// Writes `summary.json`, `figures.json` and `report.html` into an experiment directory.
    public static func write(summary: ExperimentSummary, figures: [Figure], to directory: String) throws(RunError) {
        let encoder = JSONFormat.encoder()
        do {
            try AtomicWrite.write(try encoder.encode(summary), to: "\(directory)/summary.json")
            try AtomicWrite.write(try encoder.encode(figures), to: "\(directory)/figures.json")
            try AtomicWrite.write(Data(html(summary, figures).utf8), to: "\(directory)/report.html")
        } catch let error as FileFormatError {
            throw RunError(error)
        } catch {
            throw RunError("cannot write the report in \(directory): \(error)")
        }
    }

    /// Reads `summary.json` of an experiment directory.
    public static func summary(_ directory: String) throws(RunError) -> ExperimentSummary {
        guard let summaryData = FileManager.default.contents(atPath: "\(directory)/summary.json"),
              let summary = try? decoder.decode(ExperimentSummary.self, from: summaryData) else {
            throw RunError("\(directory) has no readable summary.json; run `noether reproduce` there first")
        }
        return summary
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// Rebuilds `report.html` from `summary.json` and `figures.json`.
    public static func rebuild(_ directory: String) throws(RunError) -> ExperimentSummary {
        let summary = try summary(directory)
        let figures = FileManager.default.contents(atPath: "\(directory)/figures.json").flatMap { try? decoder.decode([Figure].self, from: $0) } ?? []
        do { try AtomicWrite.write(Data(html(summary, figures).utf8), to: "\(directory)/report.html") } catch { throw RunError(error) }
        return summary
    }

    /// An index page for a directory of experiments.
    public static func writeIndex(_ summaries: [(directory: String, summary: ExperimentSummary)], to directory: String) throws(RunError) {
        var body = "<h1>Noether: the paper's claims, reproduced</h1><p>Parameter Symmetry Potentially Unifies Deep Learning Theory (Ziyin, Xu, Poggio, Chuang, 2025).</p><table><tr><th>experiment</th><th>claim</th><th>verdict</th><th>seeds holding</th><th>form</th></tr>"
        for (path, s) in ordered(summaries) {
            let link = (path as NSString).lastPathComponent + "/report.html"
            body += "<tr><td><a href=\"\(link)\">\(escape(s.experiment)) \(escape(s.title))</a></td><td>\(escape(s.claim))</td><td class=\"\(verdictClass(s.verdict))\">\(s.verdict.rawValue)</td><td>\(s.seeds.count { $0.verdict == .holds }) of \(s.seeds.count)</td><td>\(s.quick ? "quick" : "full")</td></tr>"
        }
        body += "</table>"
        do { try AtomicWrite.write(Data(page(title: "Noether experiments", body: body).utf8), to: "\(directory)/index.html") } catch {
            throw RunError(error)
        }
    }

    /// Summaries in experiment order (E1, E2, …, E10, …).
    static func ordered(_ summaries: [(directory: String, summary: ExperimentSummary)]) -> [(directory: String, summary: ExperimentSummary)] {
        summaries.sorted { Int($0.summary.experiment.dropFirst()) ?? 0 < Int($1.summary.experiment.dropFirst()) ?? 0 }
    }

    static func verdictClass(_ verdict: Verdict) -> String {
        switch verdict {
        case .holds: "holds"
        case .doesNotHold: "fails"
        case .inconclusive: "inconclusive"
        }
    }

    /// The verdict table of `docs/experiments.md`, written from the summaries alone: verdicts,
    /// seeds, effects with their 95% intervals, the controls' verdicts and theory's numbers.
    public static func markdown(_ summaries: [(directory: String, summary: ExperimentSummary)]) -> String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var text = "| experiment | verdict | seeds holding | effects: mean [95% CI] over seeds | negative controls | predicted → observed |\n|---|---|---|---|---|---|\n"
        for (_, s) in ordered(summaries) {
            let effects = s.effects.map { "\($0.name): \($0.text)" }.joined(separator: "; ")
            let controls = s.controls.map { "\($0.name) (\($0.causeRemoved)): \($0.verdict.rawValue)" }.joined(separator: "; ")
            let predictions = s.predictions.map { "\($0.name): \(shortNumber($0.predicted)) → \(shortNumber($0.observed))" }.joined(separator: "; ")
            text += "| \(cell(s.experiment)) \(cell(s.title))\(s.quick ? " (quick)" : "") | **\(s.verdict.rawValue)** | \(s.seeds.count { $0.verdict == .holds }) of \(s.seeds.count) (\(s.requiredSeeds) required) | \(cell(effects)) | \(cell(controls)) | \(cell(predictions.isEmpty ? "–" : predictions)) |\n"
        }
        text += "\nWhy seeds did not hold:\n\n"
        for (_, s) in ordered(summaries) {
            for seed in s.seeds where seed.verdict != .holds {
                text += "- \(s.experiment), seed \(seed.seed) (\(seed.verdict.rawValue)): \(seed.reason ?? "–")\n"
            }
            for control in s.controls {
                for seed in control.seeds where seed.verdict != .doesNotHold {
                    text += "- \(s.experiment), control \(control.name), seed \(seed.seed) (\(seed.verdict.rawValue)): \(seed.reason ?? "the criterion holds with the cause removed")\n"
                }
            }
        }
        return text
    }

    static func escape(_ text: String) -> String { SVGRenderer.escape(text) }

    static func page(title: String, body: String) -> String { HTMLPage.render(title: title, body: body) }

    static func html(_ s: ExperimentSummary, _ figures: [Figure]) -> String {
        var body = "<h1>\(escape(s.experiment)): \(escape(s.title))</h1>"
        if let source = s.source { body += "<p>\(escape(source))</p>" }
        body += "<div class=\"claim\"><b>Claim.</b> \(escape(s.claim))</div>"
        body += "<h2>Verdict</h2><div class=\"verdict \(verdictClass(s.verdict))\">\(escape(s.verdictSentence))\(s.quick ? " (Quick form: a smoke test with fewer seeds and shorter runs.)" : "")</div>"
        body += "<p><b>Criterion</b> (pre-registered, evaluated on each seed). \(escape(s.criterion))</p>"
        if let fit = s.fit { body += "<p><b>Fit required.</b> \(escape(fit))</p>" }
        body += "<p><b>Cause.</b> \(escape(s.cause)). Each negative control removes it with the same seeds; the criterion must fail there.</p>"
        body += "<h2>Effects</h2><table><tr><th>quantity</th><th>mean [95% t-interval] over \(s.seeds.count) seeds</th></tr>"
        for effect in s.effects { body += "<tr><td>\(escape(effect.name))</td><td>\(escape(effect.text))</td></tr>" }
        body += "</table>"
        if !s.predictions.isEmpty {
            body += "<h2>Theory's numbers</h2><table><tr><th>quantity</th><th>predicted</th><th>observed</th><th>seeds</th></tr>"
            for p in s.predictions {
                body += "<tr><td>\(escape(p.name))</td><td>\(escape(shortNumber(p.predicted)))</td><td>\(escape(shortNumber(p.observed)))</td><td>\(p.n)</td></tr>"
            }
            body += "</table>"
        }
        body += "<h2>Negative controls</h2><table><tr><th>control</th><th>cause removed</th><th>verdict</th><th>effects</th></tr>"
        for control in s.controls {
            body += "<tr><td>\(escape(control.name))</td><td>\(escape(control.causeRemoved))</td><td class=\"\(verdictClass(control.verdict == .doesNotHold ? .holds : .doesNotHold))\">\(control.verdict.rawValue)</td><td>\(control.effects.map { escape("\($0.name): \($0.text)") }.joined(separator: "<br>"))</td></tr>"
        }
        body += "</table>"
        body += "<h2>Seeds</h2><table><tr><th>seed</th><th>verdict</th><th>why</th></tr>"
        for seed in s.seeds { body += "<tr><td>\(seed.seed)</td><td class=\"\(verdictClass(seed.verdict))\">\(seed.verdict.rawValue)</td><td>\(escape(seed.reason ?? ""))</td></tr>" }
        body += "</table>"
        body += "<h2>Figures</h2>"
        for figure in figures {
            let caption: String = switch figure {
            case .lines(let c): c.caption
            case .heatmap(let h): h.caption
            case .heatmaps(let hs): hs.first?.caption ?? ""
            }
            body += "<figure>\(SVGRenderer.render(figure))<figcaption>\(escape(caption))</figcaption></figure>"
        }
        body += "<h2>Evidence per seed</h2>"
        for seed in s.seeds {
            body += "<details><summary>seed \(seed.seed): \(seed.verdict.rawValue)</summary><table><tr><th>measurement</th><th>value</th></tr>"
            for key in seed.evidence.keys.sorted() { body += "<tr><td>\(escape(key))</td><td>\(escape(seed.evidence[key]?.text ?? ""))</td></tr>" }
            body += "</table></details>"
        }
        for note in s.notes { body += "<p>\(escape(note))</p>" }
        body += "<h2>Settings</h2><p>Settings the paper does not give are ours; they are marked <span class=\"ours\">ours</span>:</p><ul>"
        for item in s.ours { body += "<li class=\"ours\">\(escape(item))</li>" }
        body += "</ul><p>\(s.runs.count) runs, each a normal Noether run directory (resumable and indexable) under <code>trials/</code>; wall time \(String(format: "%.1f", s.wallTimeSeconds)) s.</p>"
        if let settings = try? JSONFormat.encoder().encode(s.settings) {
            body += "<details><summary>The full configuration (base config, each arm's and control's overrides, seeds)</summary><pre>\(escape(String(decoding: settings, as: UTF8.self)))</pre></details>"
        }
        return page(title: "\(s.experiment) \(s.title)", body: body)
    }
}
