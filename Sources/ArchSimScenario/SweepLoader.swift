// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import Yams

/// A sweep: a base scenario and the points to run it at, each a set of overrides by key path.
public struct SweepDefinition: Sendable {
    /// The base scenario file (resolved against the sweep file's directory).
    public var scenarioPath: String
    /// Replications per point, overriding the scenario's.
    public var replications: Int?
    /// The key paths that vary, in file order (the parameter columns of sweep.csv).
    public var parameters: [String]
    /// Each point's values, one per parameter, in the order of `parameters`.
    public var points: [[ScenarioOverride]]

    public init(scenarioPath: String, replications: Int?, parameters: [String], points: [[ScenarioOverride]]) {
        self.scenarioPath = scenarioPath; self.replications = replications; self.parameters = parameters; self.points = points
    }

    /// The parameter that is no key path: a point with `replication: K` runs only replication K
    /// of the scenario — the one `archsim run` runs K-th, with the same seed — so that the
    /// replications of one long run spread over a sweep's shards (and a Dask cluster's workers).
    public static let replicationParameter = "replication"

    /// The replication point `i` runs alone, if the sweep varies `replication`.
    public func replication(ofPoint i: Int) -> Int? {
        points[i].first { $0.keyPath == Self.replicationParameter }.flatMap { Int($0.value) }
    }

    /// Point `i`'s overrides of scenario keys (without `replication`).
    public func scenarioOverrides(ofPoint i: Int) -> [ScenarioOverride] { Self.scenarioOverrides(points[i]) }

    static func scenarioOverrides(_ point: [ScenarioOverride]) -> [ScenarioOverride] {
        point.filter { $0.keyPath != replicationParameter }
    }

    /// A stable id of point `i` (its position in the grid): `p0000`, `p0001`, …
    public static func id(_ i: Int) -> String {
        let s = String(i)
        return "p" + String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}

/// Sweep files:
///
/// ```yaml
/// scenario: ../scenarios/evolution/05-read-write-split.yaml   # relative to this file
/// replications: 3                                           # optional
/// grid:                                                      # every combination, first key slowest
///   architecture.services.product.instances: [2, 4, 8]
///   workload.arrivals.rate: [2000/s, 4000/s, 8000/s]
/// # or instead of grid, a list of points:
/// # points:
/// #   - {architecture.services.product.instances: 2, workload.arrivals.rate: 2000/s}
/// ```
///
/// `replication: [0, 1, 2]` in a grid (or points) makes each point one replication of the
/// scenario (``SweepDefinition/replicationParameter``); the sweep's `sweep.csv` then has a row
/// per replication, and `replication-summary.csv` their means with Student-t intervals.
///
/// Every point's scenario is read and checked before anything runs; a bad key path or value is
/// reported at the sweep file's line and column.
public enum SweepLoader {
    /// Whether the file at `path` is a sweep rather than a scenario: a YAML mapping with
    /// `scenario:` and `grid:` or `points:` at its top. False for anything that does not read
    /// (the scenario reader then says what is wrong with it). Cost: a scan of the text for the
    /// words `scenario` and `grid` or `points`; one parse of the file only when they are there (a
    /// 100,000-service scenario was parsed twice by `check` before, 8 of its 20 s).
    public static func isSweep(path: String) -> Bool {
        let d = Diagnostics()
        guard let text = YAMLDocument.read(path: path, what: "sweep", reference: nil, d),
              text.contains("scenario"), text.contains("grid") || text.contains("points"),
              let root = YAMLDocument.compose(text, file: SourceFile(name: path, directory: ""), what: "sweep", d),
              case .mapping(let mapping) = root else { return false }
        let keys = Set(mapping.keys.compactMap(\.text))
        return keys.contains("scenario") && (keys.contains("grid") || keys.contains("points"))
    }

    public static func load(path: String) throws -> SweepDefinition {
        let reader = ScenarioReader(scenarioDirectory: FilePath.directory(of: path))
        let d = reader.diagnostics
        guard let text = YAMLDocument.read(path: path, what: "sweep", reference: nil, d) else { throw d.errors }
        let source = SourceFile(name: path, directory: FilePath.directory(of: path))
        guard let root = YAMLDocument.compose(text, file: source, what: "sweep", d) else { throw d.errors }
        let c = Cursor(node: root, file: source, path: "")
        guard let m = reader.map(c, expected: "a sweep: a mapping with scenario and grid (or points)") else { throw d.errors }
        m.checkKeys(FormatKeys.sweep.names, d)
        let scenario = m.require("scenario", d, "the base scenario file").flatMap { reader.string($0) }
        let replications = m["replications"].flatMap(reader.positiveInteger)
        var parameters: [String] = []
        var points: [[ScenarioOverride]] = []
        func override(_ key: String, _ value: Cursor) -> ScenarioOverride? {
            let text: String
            switch value.node {
            case .scalar(let s): text = s.string
            case .mapping, .sequence:
                guard let flow = try? Yams.serialize(node: value.node, width: -1, sortKeys: false) else { return nil }
                text = "{" == flow.first.map(String.init) ? flow : flow.trimmingWhitespace()
            case .alias: return nil
            }
            var o = ScenarioOverride(path: key, value: text.trimmingWhitespace())
            o.origin = ScenarioProblem(file: value.file.name, line: value.node.mark.map { $0.line },
                                       column: value.node.mark.map { $0.column }, keyPath: value.path, message: "")
            return o
        }
        switch (m["grid"], m["points"]) {
        case (let grid?, nil):
            guard let g = reader.map(grid, expected: "a mapping of key path -> list of values") else { break }
            var axes: [[ScenarioOverride]] = []
            for entry in g.entries {
                guard let values = reader.list(entry.value, expected: "a list of values for \(entry.name)") else { continue }
                if values.isEmpty { reader.report(entry.value, "empty grid: give \(entry.name) at least one value"); continue }
                parameters.append(entry.name)
                axes.append(values.compactMap { override(entry.name, $0) })
            }
            if g.entries.isEmpty { reader.report(grid, "empty grid: give at least one key path with values") }
            if !axes.isEmpty && d.isEmpty {
                points = [[]]
                for axis in axes { points = points.flatMap { p in axis.map { p + [$0] } } }
            }
        case (nil, let list?):
            guard let items = reader.list(list, expected: "a list of points (mappings of key path -> value)") else { break }
            if items.isEmpty { reader.report(list, "empty list of points") }
            for item in items {
                guard let p = reader.map(item, expected: "a point: a mapping of key path -> value") else { continue }
                for entry in p.entries where !parameters.contains(entry.name) { parameters.append(entry.name) }
                points.append(p.entries.compactMap { override($0.name, $0.value) })
            }
            // Every point names the same parameters, in parameter order.
            for (i, point) in points.enumerated() where Set(point.map(\.keyPath)) != Set(parameters) {
                reader.report(items[i], "every point sets the same key paths (\(parameters.joined(separator: ", ")))")
            }
            points = points.map { point in parameters.compactMap { key in point.first { $0.keyPath == key } } }
        case (nil, nil):
            reader.report(c, "a sweep needs 'grid' (key path -> values) or 'points'")
        case (_?, _?):
            reader.report(c, "give either 'grid' or 'points', not both")
        }
        guard d.isEmpty, let scenario else { throw d.errors }
        let scenarioPath = FilePath.join(FilePath.directory(of: path), scenario)
        // Read every point's scenario now: a bad path or value fails before anything runs.
        var problems: [ScenarioProblem] = []
        for point in points {
            problems += replicationProblems(point, sweepReplications: replications)
            do { _ = try ScenarioLoader.load(path: scenarioPath, overrides: SweepDefinition.scenarioOverrides(point)) }
            catch let errors as ScenarioErrors {
                for p in errors.problems { problems.append(located(p, in: point)) }
            }
            if problems.count > 50 { break }
        }
        if !problems.isEmpty {
            var unique: [ScenarioProblem] = []
            for p in problems where !unique.contains(where: { $0.description == p.description }) { unique.append(p) }
            throw ScenarioErrors(problems: unique)
        }
        return SweepDefinition(scenarioPath: scenarioPath, replications: replications, parameters: parameters, points: points)
    }

    /// A grid given on the command line (`--sweep key=v1,v2`): every combination, first key
    /// slowest; every point's scenario is read and checked first. A key given twice, or an
    /// empty value (`1,,2`), is refused.
    public static func grid(scenarioPath: String, axes: [(key: String, values: [String])], workload: String? = nil,
                            replications: Int? = nil) throws -> SweepDefinition {
        var refused: [ScenarioProblem] = []
        var keys: Set<String> = []
        for (key, values) in axes {
            if !keys.insert(key).inserted {
                refused.append(ScenarioProblem(file: "--sweep", keyPath: key,
                                               message: "given twice; give all its values once, comma-separated (\(key)=a,b,c)"))
            }
            if let empty = values.firstIndex(where: \.isEmpty) {
                refused.append(ScenarioProblem(file: "--sweep", keyPath: key,
                                               message: "value \(empty + 1) of \(values.count) is empty "
                                                   + "(\(quoted(values.joined(separator: ","))) has two commas in a row, or one at an end)"))
            }
        }
        if !refused.isEmpty { throw ScenarioErrors(problems: refused) }
        var points: [[ScenarioOverride]] = [[]]
        for (key, values) in axes {
            points = points.flatMap { p in values.map { p + [ScenarioOverride(path: key, value: $0)] } }
        }
        var problems: [ScenarioProblem] = []
        for point in points {
            var found = replicationProblems(point, sweepReplications: replications)
            do { _ = try ScenarioLoader.load(path: scenarioPath, workload: workload, overrides: SweepDefinition.scenarioOverrides(point)) }
            catch let errors as ScenarioErrors { found += errors.problems }
            for p in found where !problems.contains(where: { $0.description == p.description }) { problems.append(p) }
        }
        if !problems.isEmpty { throw ScenarioErrors(problems: problems) }
        return SweepDefinition(scenarioPath: scenarioPath, replications: replications, parameters: axes.map(\.key), points: points)
    }

    /// A point's `replication` value must be a replication index (a whole number ≥ 0), and a
    /// sweep over replications runs one per point (no `replications` beside it).
    static func replicationProblems(_ point: [ScenarioOverride], sweepReplications: Int?) -> [ScenarioProblem] {
        guard let o = point.first(where: { $0.keyPath == SweepDefinition.replicationParameter }) else { return [] }
        var problems: [ScenarioProblem] = []
        func problem(_ message: String) -> ScenarioProblem {
            var p = o.origin ?? ScenarioProblem(file: "--sweep", keyPath: o.keyPath, message: "")
            if o.origin == nil { p.keyPath = o.keyPath }
            p.message = message
            return p
        }
        if Int(o.value).map({ $0 < 0 }) ?? true {
            problems.append(problem("replication = \(o.value): expected a replication index, a whole number from 0 "
                                    + "(point K runs replication K of the scenario, as `archsim run` numbers them)"))
        }
        if sweepReplications != nil {
            problems.append(problem("a sweep over replication runs one replication per point: drop `replications`"))
        }
        return problems
    }

    /// A problem about an overridden value points at the value in the sweep file.
    static func located(_ problem: ScenarioProblem, in point: [ScenarioOverride]) -> ScenarioProblem {
        guard let o = point.first(where: { problem.keyPath == $0.keyPath || problem.keyPath.hasPrefix($0.keyPath + ".")
                                            || problem.keyPath.hasPrefix($0.keyPath + "[") || problem.file == "override \($0)" }),
              let origin = o.origin else { return problem }
        var p = problem
        p.file = origin.file; p.line = origin.line; p.column = origin.column
        p.message = "\(o.keyPath) = \(o.value): " + problem.message
        p.keyPath = origin.keyPath
        return p
    }
}
