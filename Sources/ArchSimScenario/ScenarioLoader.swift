// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import Yams

/// Scenario format v1 (see the scenario-format spec): YAML text -> checked ``Scenario``.
///
/// Reading goes walk -> defaults -> validate -> resolve names to indices, collecting every
/// problem with its file, line, column and key path; if there is any, the loader throws them
/// all at once as ``ScenarioErrors``. Cost: linear in the file, plus any CSV it reads.
public enum ScenarioLoader {
    /// Reads, validates and resolves a scenario file; throws ``ScenarioErrors`` with every
    /// problem found (not just the first). Relative paths inside resolve against the file's
    /// directory.
    ///
    /// With `workload`, that workload file is read instead of the scenario's own `workload:`
    /// (which must still be there), and the routes are checked against it: this is how
    /// `compare --workload` runs one workload against several architectures.
    /// `overrides` set values at key paths first (see ``ScenarioOverride``).
    public static func load(path: String, workload: String? = nil, overrides: [ScenarioOverride] = []) throws -> Scenario {
        let diagnostics = Diagnostics()
        guard let text = YAMLDocument.read(path: path, what: "scenario", reference: nil, diagnostics) else {
            throw diagnostics.errors
        }
        var scenario = try load(yaml: text, file: path, baseDirectory: FilePath.directory(of: path), workload: workload,
                                overrides: overrides)
        scenario.sourcePath = path
        return scenario
    }

    /// Same from text: `file` names it in messages (and gives the default `name`); relative
    /// paths resolve against `baseDirectory`.
    public static func load(yaml: String, file: String, baseDirectory: String, workload: String? = nil,
                            overrides: [ScenarioOverride] = []) throws -> Scenario {
        let reader = ScenarioReader(scenarioDirectory: baseDirectory)
        reader.workloadOverride = workload
        reader.overrides = overrides
        let source = SourceFile(name: file, directory: baseDirectory)
        guard var root = YAMLDocument.compose(yaml, file: source, what: "scenario", reader.diagnostics) else {
            throw reader.diagnostics.errors
        }
        root = reader.applyOverrides(to: root, at: [], file: source)
        let scenario = reader.scenario(Cursor(node: root, file: source, path: ""), defaultName: FilePath.stem(file))
        reader.reportUnappliedOverrides()
        guard reader.diagnostics.isEmpty, let scenario else { throw reader.diagnostics.errors }
        return scenario
    }

    /// Loads just a workload file (a YAML map as under `workload:`), e.g. for
    /// `compare --workload W.yaml`. Key paths in messages start at the file's top
    /// (`arrivals.rate`).
    public static func loadWorkload(path: String) throws -> Workload {
        let reader = ScenarioReader(scenarioDirectory: FilePath.directory(of: path))
        guard let text = YAMLDocument.read(path: path, what: "workload", reference: nil, reader.diagnostics) else {
            throw reader.diagnostics.errors
        }
        let source = SourceFile(name: path, directory: FilePath.directory(of: path))
        guard let root = YAMLDocument.compose(text, file: source, what: "workload", reader.diagnostics) else {
            throw reader.diagnostics.errors
        }
        let workload = reader.workload(Cursor(node: root, file: source, path: ""))
        guard reader.diagnostics.isEmpty else { throw reader.diagnostics.errors }
        return workload
    }
}

extension ScenarioReader {
    /// The top-level mapping. Returns nil only when there is nothing to build from.
    func scenario(_ c: Cursor, defaultName: String) -> Scenario? {
        guard let m = map(c, expected: "a mapping of scenario keys (name, duration, workload, architecture, …)") else { return nil }
        m.checkKeys(FormatKeys.scenario.names, diagnostics)
        if let v = m["version"], let version = integer(v, minimum: 0, "a version number"), version != 1 {
            report(v, "unsupported version \(version); this ArchSim reads scenario format version 1")
        }
        let name = m["name"].flatMap(string) ?? defaultName
        let description = m["description"].flatMap { $0.node.isNull ? "" : string($0) } ?? ""
        var seed: UInt64 = 1
        if let v = m["seed"], let text = text(v, "a non-negative integer") {
            if let value = UInt64(text.trimmingWhitespace()) { seed = value } else {
                report(v, "expected a non-negative integer (at most \(UInt64.max)), got \(v.node.described)")
            }
        }
        let durationCursor = m.require("duration", diagnostics, "simulated time counted, e.g. 10m")
        let duration = durationCursor.flatMap { self.duration($0, allowZero: false) }
        let warmup = m["warmup"].flatMap { self.duration($0, allowZero: true) }
        let replications = m["replications"].flatMap {
            count($0, maximum: Limits.replications, why: "each replication's results are kept until the end")
        } ?? 1
        let window = m["window"].flatMap { self.duration($0, allowZero: false) }
        if let duration, m["warmup"] == nil || warmup != nil, m["window"] == nil || window != nil,
           let problem = ScenarioValues.runLengthProblem(duration: duration, warmup: warmup ?? 0, window: window ?? ScenarioValues.defaultWindow) {
            report(problem.onWindow ? m["window"] ?? durationCursor! : durationCursor!, problem.message)
        }

        var workloadCursor = m.require("workload", diagnostics)
        if let override = workloadOverride, let c = workloadCursor {
            workloadCursor = included(Cursor(node: Node(override), file: SourceFile(name: "--workload", directory: "."),
                                             path: c.path), what: "workload")
        }
        let workload = workloadCursor.flatMap { included($0, what: "workload") }.map(workload)
            ?? Workload(arrivals: .open(process: .poisson, rate: .constant(1)), requestTypes: [])
        let architecture = m.require("architecture", diagnostics).flatMap { included($0, what: "architecture") }
            .map { self.architecture($0, workload: workload) } ?? Architecture(routes: [], services: [])
        let faults = m["faults"].map { self.faults($0, architecture: architecture) } ?? []
        if diagnostics.isEmpty { checkClockAdvances(workload, architecture, think: thinkCursor) }

        return Scenario(name: name, description: description, seed: seed, duration: duration ?? 1, warmup: warmup ?? 0,
                        replications: replications, window: window ?? ScenarioValues.defaultWindow, workload: workload,
                        architecture: architecture, faults: faults)
    }

    /// A section given inline, or as a path (relative to the file naming it) to a YAML file
    /// holding it; problems inside such a file point at that file's own lines.
    func included(_ c: Cursor, what: String) -> Cursor? {
        guard case .scalar = c.node, let relative = c.node.text else { return c }
        let path = FilePath.join(c.file.directory, relative)
        guard let text = YAMLDocument.read(path: path, what: what, reference: c, diagnostics) else { return nil }
        let source = SourceFile(name: path, directory: FilePath.directory(of: path))
        guard var root = YAMLDocument.compose(text, file: source, what: what, diagnostics) else { return nil }
        root = applyOverrides(to: root, at: c.path.split(separator: ".").map(String.init), file: source)
        return Cursor(node: root, file: source, path: c.path)
    }
}
