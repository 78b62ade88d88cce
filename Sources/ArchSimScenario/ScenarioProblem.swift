// SPDX-License-Identifier: GPL-3.0-or-later

/// One thing wrong with a scenario, with where it is: file, 1-based line and column, and the
/// key path of the offending value.
///
/// `description` reads like a compiler message:
/// `scenarios/x.yaml:14:12: architecture.services.app.workers: expected a positive integer, got -3`.
public struct ScenarioProblem: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file as named to the loader (or as resolved from it, for included files).
    public var file: String
    /// 1-based line, nil when the problem concerns the whole file (missing, empty, a directory).
    public var line: Int?
    /// 1-based column (in Unicode scalars), nil when `line` is nil.
    public var column: Int?
    /// Dotted path of the offending value, e.g. `architecture.services.app.workers`; lists
    /// add `[i]`. Empty for the file as a whole.
    public var keyPath: String
    /// What is wrong, in plain words.
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, keyPath: String = "", message: String) {
        self.file = file; self.line = line; self.column = column; self.keyPath = keyPath; self.message = message
    }

    public var description: String {
        var text = file
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        text += ": "
        if !keyPath.isEmpty { text += keyPath + ": " }
        return text + message
    }
}

/// Every problem found in a scenario (never just the first), in file order.
public struct ScenarioErrors: Error, Sendable, CustomStringConvertible {
    public var problems: [ScenarioProblem]
    public init(problems: [ScenarioProblem]) { self.problems = problems }
    /// One problem per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
