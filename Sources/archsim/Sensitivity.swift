// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimModel
import ArchSimReport
import ArchSimStats
import ArchSimScenario
import Foundation

struct Sensitivity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Vary knobs one at a time: each output's range, and where a verdict flips (break-even).",
        discussion: """
        Each --vary KEY.PATH=LOW..HIGH is varied alone, the others staying as in the file, at \
        --points evenly spaced values from LOW to HIGH (LOW and HIGH are written as in a scenario \
        and differ only in their numbers: 2..16, 5ms..20ms, zipf(s=0.6)..zipf(s=1.2)). Every point \
        runs with the scenario's seed, so all see the same arrivals (common random numbers). \
        With --verdict objectives (the syntax of --slo, plus any metric of comparison.csv with a \
        plain number and < or >: db_reads_rps<5000, main.primary:utilization<0.9), each point is \
        judged as `capacity` judges a rate — by the 95% CI over replications, adding replications \
        when it straddles the bound — and where the verdict differs between neighbouring points \
        the knob's break-even value is found by bisection to --tolerance (a single flip between \
        them is assumed). Writes DIR/sensitivity.csv (one row per point run, with each output's \
        mean and 95% CI) and DIR/breakeven.csv (one row per knob).
        """)

    @Argument(help: "The scenario YAML file.")
    var file: String
    @Option(name: .customLong("vary"), help: ArgumentHelp("A knob and its range, KEY.PATH=LOW..HIGH; repeatable.", valueName: "knob"))
    var knobs: [String] = []
    @Option(name: .customLong("verdict"), help: ArgumentHelp("An objective that must hold, e.g. 'p99<1s' or 'db_reads_rps<5000'; repeatable (all must hold).", valueName: "objective"))
    var verdicts: [String] = []
    @Option(name: .customLong("output"), help: ArgumentHelp("A comparison.csv metric to report besides throughput_rps, mean_ms, p99_ms and error_rate, e.g. db_reads_rps or main.primary:utilization; repeatable.", valueName: "metric"))
    var outputs: [String] = []
    @Option(help: "Values per knob from LOW to HIGH, both included (at least 2).")
    var points: Int = 3
    @Option(help: "Relative precision of a break-even value (integers: at least to 1).")
    var tolerance: Double = 0.02
    @Option(name: .shortAndLong, help: ArgumentHelp("Directory for sensitivity.csv and breakeven.csv (default: out/NAME-sensitivity).", valueName: "dir"))
    var out: String?
    @OptionGroup var options: SimulationOptions

    func validate() throws {
        if knobs.isEmpty { throw ValidationError("give at least one --vary, e.g. --vary architecture.services.app.workers=2..16") }
        if points < 2 || points > 101 { throw ValidationError("--points must be from 2 to 101, got \(points)") }
        try Capacity.validate(tolerance: tolerance)
    }

    static let defaultOutputs = ["throughput_rps", "mean_ms", "p99_ms", "error_rate"]

    func run() throws {
        let knobs = try ObjectiveChecks.knobs(self.knobs)
        let objectives = try self.verdicts.map { text in
            do { return try ServiceLevelObjective(parsing: text) } catch { throw InputError(description: "--verdict \(error)") }
        }
        let outputs = try (Self.defaultOutputs + self.outputs.filter { !Self.defaultOutputs.contains($0) }).map { name in
            do { return try ServiceLevelObjective(output: name) } catch { throw InputError(description: "--output \(error)") }
        }
        let base = try options.apply(to: loadScenario(file))
        try Capacity.checkObjectives(objectives, runLength: base.duration)
        try ObjectiveChecks.requestTypes(objectives + outputs, in: base, option: "")
        // Every knob's ends are read now, so a bad path or value is reported before anything runs.
        for knob in knobs {
            for t in [0.0, 1.0] { _ = try scenario(knob, t) }
        }
        let dir = out ?? "out/\(base.name)-sensitivity"
        try OutputPath.directory(dir, option: "--out")
        try options.preflight(base)

        let line = ProgressLine(label: "\(base.name) sensitivity", enabled: !options.quiet && isatty(STDERR_FILENO) == 1)
        var study = Study(outputs: outputs)
        var runs = 0
        func evaluate(_ knob: ScenarioKnob?, _ t: Double, role: String) throws -> Bool? {
            runs += 1
            line.message("\(knob?.path ?? "base") = \(knob?.text(at: t) ?? "as in the file") (\(role), run \(runs))")
            let s = try knob.map { try scenario($0, t) } ?? base
            let holds: Bool?, result: ScenarioResult
            if objectives.isEmpty {
                result = try run(s)
                holds = nil
            } else {
                (holds, result) = try options.judge(objectives, s)
            }
            study.add(knob: knob, t: t, role: role, result: result, holds: holds)
            return holds
        }
        do {
            defer { line.finish() }
            _ = try evaluate(nil, 0, role: "base")
            if let result = study.baseResult { try ObjectiveChecks.metricsKnown(objectives + outputs, in: result, option: "") }
            for knob in knobs {
                var verdicts: [(t: Double, holds: Bool?)] = []
                for i in 0..<points {
                    let t = Double(i) / Double(points - 1)
                    verdicts.append((t, try evaluate(knob, t, role: i == 0 ? "low" : i == points - 1 ? "high" : "grid")))
                }
                var flip: (holds: Double, fails: Double)?
                if let i = verdicts.indices.dropLast().first(where: { verdicts[$0].holds != verdicts[$0 + 1].holds }),
                   let a = verdicts[i].holds {
                    // Bisection between the two neighbours whose verdicts differ.
                    var yes = a ? verdicts[i].t : verdicts[i + 1].t, no = a ? verdicts[i + 1].t : verdicts[i].t
                    var steps = 0
                    while !knob.resolved(yes, no, tolerance: tolerance) && steps < 60 {
                        steps += 1
                        let mid = (yes + no) / 2
                        if knob.text(at: mid) == knob.text(at: yes) { yes = mid; continue }
                        if knob.text(at: mid) == knob.text(at: no) { no = mid; continue }
                        if try evaluate(knob, mid, role: "bisect") == true { yes = mid } else { no = mid }
                    }
                    flip = (yes, no)
                }
                study.addBreakEven(knob: knob, verdicts: verdicts.map(\.holds), flip: flip)
            }
        }
        let verdictText = objectives.map(\.text).joined(separator: " & ")
        try OutputPath.writing(dir) {
            try ResultFiles.write(files: [("sensitivity.csv", study.points.text),
                                          ("breakeven.csv", study.breakEvenTable(verdict: verdictText).text)], to: dir)
        }
        if !options.quiet {
            print(study.terminal(verdict: verdictText))
            print("wrote \(dir)/sensitivity.csv and breakeven.csv")
        }
    }

    func scenario(_ knob: ScenarioKnob, _ t: Double) throws -> Scenario {
        do { return try options.apply(to: ScenarioLoader.load(path: file, overrides: [knob.override(at: t)])) }
        catch let errors as ScenarioErrors { throw InputError(description: "--vary \(knob) at \(knob.text(at: t)):\n\(errors.description)") }
    }

    func run(_ s: Scenario) throws -> ScenarioResult {
        do { return try Runner.run(s, jobs: options.jobs) }
        catch let e as SimulationError { throw InputError(description: "\(s.sourcePath ?? s.name): \(e)") }
    }

    /// What the runs found: a row per point, a break-even per knob.
    struct Study {
        var outputs: [ServiceLevelObjective]
        var points: CSVTable
        /// Per knob, per output: the lowest and highest mean over its points.
        var ranges: [(knob: ScenarioKnob, low: [Double?], high: [Double?], min: [Double?], max: [Double?])] = []
        var base: [Double?] = []
        var baseResult: ScenarioResult?
        var breakEvens: [(knob: ScenarioKnob, atLow: Bool?, atHigh: Bool?, flip: (holds: Double, fails: Double)?)] = []

        init(outputs: [ServiceLevelObjective]) {
            self.outputs = outputs
            points = CSVTable(header: ["knob", "value", "number", "role", "replications", "verdict"]
                              + outputs.flatMap { [$0.text, $0.text + "_ci95"] })
        }

        mutating func add(knob: ScenarioKnob?, t: Double, role: String, result: ScenarioResult, holds: Bool?) {
            var cells = [knob?.path ?? "base", knob?.text(at: t) ?? "", knob.map { CSVNumber.format($0.value(at: t)) } ?? "",
                         role, String(result.replications.count), holds.map { $0 ? "holds" : "fails" } ?? ""]
            var means: [Double?] = []
            for o in outputs {
                let values = result.replications.compactMap { o.value(in: $0, scenario: result.scenario) }
                let ci = values.isEmpty ? nil : ConfidenceInterval(values)
                means.append(ci?.mean)
                cells += [CSVNumber.format(ci?.mean), CSVNumber.format(ci?.halfWidth)]
            }
            points.append(cells)
            guard let knob else { base = means; baseResult = result; return }
            if ranges.last?.knob != knob { ranges.append((knob, means, means, means, means)) }
            var r = ranges.removeLast()
            if t == 1 { r.high = means }
            for i in means.indices {
                if let m = means[i] {
                    r.min[i] = min(r.min[i] ?? m, m)
                    r.max[i] = max(r.max[i] ?? m, m)
                }
            }
            ranges.append(r)
        }

        mutating func addBreakEven(knob: ScenarioKnob, verdicts: [Bool?], flip: (holds: Double, fails: Double)?) {
            breakEvens.append((knob, verdicts.first ?? nil, verdicts.last ?? nil, flip))
        }

        func breakEvenTable(verdict: String) -> CSVTable {
            var t = CSVTable(header: ["knob", "low", "high", "verdict", "at_low", "at_high", "holds_at", "fails_at", "breakeven"])
            func word(_ b: Bool?) -> String { b.map { $0 ? "holds" : "fails" } ?? "" }
            for b in breakEvens {
                var cells = [b.knob.path, b.knob.low, b.knob.high, verdict, word(b.atLow), word(b.atHigh)]
                if let f = b.flip {
                    cells += [b.knob.text(at: f.holds), b.knob.text(at: f.fails),
                              CSVNumber.format((b.knob.value(at: f.holds) + b.knob.value(at: f.fails)) / 2)]
                } else {
                    cells += ["", "", ""]
                }
                t.append(cells)
            }
            return t
        }

        func terminal(verdict: String) -> String {
            var lines: [String] = []
            func f(_ v: Double?) -> String { v.map { CSVNumber.format($0, decimals: 4) } ?? "–" }
            lines.append("base: " + outputs.indices.map { "\(outputs[$0].text) \(f(base[$0]))" }.joined(separator: ", "))
            for r in ranges {
                lines.append("\(r.knob.path) = \(r.knob.low) .. \(r.knob.high)")
                for i in outputs.indices {
                    lines.append("  \(outputs[i].text): \(f(r.low[i])) .. \(f(r.high[i])) (range \(f(r.min[i])) .. \(f(r.max[i])))")
                }
                guard !verdict.isEmpty, let b = breakEvens.first(where: { $0.knob == r.knob }) else { continue }
                if let flip = b.flip {
                    lines.append("  \(verdict): holds at \(b.knob.text(at: flip.holds)), fails at \(b.knob.text(at: flip.fails))")
                } else if let all = b.atLow {
                    lines.append("  \(verdict): \(all ? "holds" : "fails") over the whole range")
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}
