// SPDX-License-Identifier: GPL-3.0-or-later
import Yams

/// A value set at a key path before a scenario is read (`--sweep`, sweep files):
/// `architecture.services.app.instances=4`, `workload.arrivals.rate=8000/s`.
///
/// Overrides change the YAML tree, so the value goes through the same checks, with the same
/// messages, as if it had been written in the file. A path may go through a section given as a
/// file (`workload: w.yaml`): the override is applied inside that file's tree. The last key may
/// be new (then an unknown key is reported as usual, with a did-you-mean); the keys before it
/// must exist.
public struct ScenarioOverride: Sendable, Equatable, CustomStringConvertible {
    public var path: [String]
    /// YAML text of the value (a plain scalar like `4` or `8000/s`, or flow YAML like `{count: 3}`).
    public var value: String
    /// Where the value was written (a sweep file), for messages about it.
    public var origin: ScenarioProblem?

    public init(path: String, value: String) {
        self.path = path.split(separator: ".").map(String.init)
        self.value = value
    }

    /// Parses `key.path=value`.
    public init(parsing text: String) throws(ScenarioValues.Problem) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw ScenarioValues.Problem(description: "expected KEY.PATH=VALUE, got \(quoted(text))")
        }
        self.init(path: String(text[..<eq]).trimmingWhitespace(), value: String(text[text.index(after: eq)...]).trimmingWhitespace())
        if path.contains(where: \.isEmpty) || value.isEmpty {
            throw ScenarioValues.Problem(description: "expected KEY.PATH=VALUE, got \(quoted(text))")
        }
    }

    public var keyPath: String { path.joined(separator: ".") }
    public var description: String { "\(keyPath)=\(value)" }

    /// The value as a node: flow YAML when it parses as a mapping or list, else a plain scalar.
    var node: Node {
        if value.hasPrefix("{") || value.hasPrefix("["), let n = try? Yams.compose(yaml: value, .basic), !n.isNull { return n }
        return Node(value)
    }

    /// Splits `a,b,c` at commas outside parentheses, brackets and braces (so
    /// `uniform(min=1ms, max=3ms)` stays one value). Empty items (`1,,2`, `1,2,`) are kept, as
    /// empty strings, so that ``SweepLoader/grid(scenarioPath:axes:workload:replications:)``
    /// can refuse them rather than silently run fewer points.
    public static func splitValues(_ text: String) -> [String] {
        var out: [String] = [], current = "", depth = 0
        for ch in text {
            switch ch {
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth -= 1
            default: break
            }
            if ch == "," && depth == 0 { out.append(current.trimmingWhitespace()); current = "" } else { current.append(ch) }
        }
        out.append(current.trimmingWhitespace())
        return out
    }
}

extension ScenarioReader {
    /// Applies the overrides whose path lies inside the tree `root` found at key path `prefix`
    /// (empty for the scenario file). Marks those applied; a path that stops at a scalar naming
    /// a file waits for that file. A path that leads nowhere is reported.
    func applyOverrides(to root: Node, at prefix: [String], file: SourceFile) -> Node {
        var root = root
        for (i, o) in overrides.enumerated() where !overrideApplied[i] {
            guard o.path.count > prefix.count, Array(o.path.prefix(prefix.count)) == prefix else { continue }
            let rest = Array(o.path.dropFirst(prefix.count))
            switch Self.set(&root, rest[...], o.node) {
            case .applied: overrideApplied[i] = true
            case .throughFile: break
            case .missing(let at):
                overrideApplied[i] = true
                let missing = (prefix + rest.prefix(at + 1)).joined(separator: ".")
                diagnostics.report(ScenarioProblem(file: "override \(o)", keyPath: missing,
                                                   message: "no such key in \(file.name) (the keys before the last must exist)"))
            }
        }
        return root
    }

    enum OverrideOutcome { case applied, throughFile, missing(Int) }

    static func set(_ node: inout Node, _ path: ArraySlice<String>, _ value: Node, depth: Int = 0) -> OverrideOutcome {
        guard case .mapping(var mapping) = node, let key = path.first else {
            if case .scalar = node { return .throughFile }
            return .missing(depth)
        }
        if path.count == 1 {
            mapping[key] = value
            node = .mapping(mapping)
            return .applied
        }
        guard var child = mapping[key] else { return .missing(depth) }
        let outcome = set(&child, path.dropFirst(), value, depth: depth + 1)
        mapping[key] = child
        node = .mapping(mapping)
        return outcome
    }

    /// Reports overrides never applied (their path went through something that is not a file).
    func reportUnappliedOverrides() {
        for (i, o) in overrides.enumerated() where !overrideApplied[i] {
            diagnostics.report(ScenarioProblem(file: "override \(o)", keyPath: o.keyPath, message: "no such key path in the scenario"))
        }
    }
}
