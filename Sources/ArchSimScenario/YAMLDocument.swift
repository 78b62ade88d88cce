// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Yams

/// Reading files and turning YAML text into a node tree, with problems for everything that
/// can go wrong before the first key is read.
enum YAMLDocument {
    /// The text of a file, or a problem saying why not (missing, a directory, not UTF-8).
    /// The problem is reported at `reference` when given (the key naming the file), else at
    /// the file itself.
    static func read(path: String, what: String, reference: Cursor?, _ diagnostics: Diagnostics) -> String? {
        diagnostics.opened(reference?.file.name ?? path)
        diagnostics.opened(path)
        var isDirectory: ObjCBool = false
        let why: String
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            why = "no such file"
        } else if isDirectory.boolValue {
            why = "is a directory, not a \(what) file"
        } else if let data = FileManager.default.contents(atPath: path) {
            if let text = String(data: data, encoding: .utf8) { return text }
            let (line, column) = firstInvalidUTF8(data)
            let problem = "is not UTF-8 text (line \(line), column \(column))"
            if let reference {
                diagnostics.report(reference, "\(what) file '\(path)' \(problem)")
            } else {
                diagnostics.report(ScenarioProblem(file: path, line: line, column: column, keyPath: "",
                                                   message: "\(what) file is not UTF-8 text"))
            }
            return nil
        } else {
            why = "cannot be read"
        }
        if let reference {
            diagnostics.report(reference, "\(what) file '\(path)' \(why)")
        } else {
            diagnostics.report(ScenarioProblem(file: path, keyPath: "", message: "\(what) file \(why)"))
        }
        return nil
    }

    /// The root node of `yaml`, or nil with a problem: a syntax error at its line and column,
    /// or `empty <what> file`.
    static func compose(_ yaml: String, file: SourceFile, what: String, _ diagnostics: Diagnostics) -> Node? {
        diagnostics.opened(file.name)
        do {
            // The basic resolver: every scalar stays a string (the readers interpret values
            // themselves: `1ms`, `50%`); the default one matched each scalar against regular
            // expressions for tags nothing reads, half the time of a large file's check.
            guard let root = try Yams.compose(yaml: yaml, .basic), !root.isNull else {
                diagnostics.report(ScenarioProblem(file: file.name, line: 1, column: 1, keyPath: "", message: "empty \(what) file"))
                return nil
            }
            let budget = Limits.expandedNodes + yaml.utf8.count
            guard nodeCount(root, upTo: budget) <= budget else {
                diagnostics.report(ScenarioProblem(
                    file: file.name, line: 1, column: 1, keyPath: "",
                    message: "YAML aliases (*name) expand this \(what) file past \(Limits.format(budget)) nodes "
                        + "(\(Limits.format(Limits.expandedNodes)) more than its size in bytes); write the repeated parts out, or repeat them less"))
                return nil
            }
            return root
        } catch let error as YamlError {
            diagnostics.report(problem(error, file: file.name, yaml: yaml))
            return nil
        } catch {
            diagnostics.report(ScenarioProblem(file: file.name, line: 1, column: 1, keyPath: "", message: "YAML error: \(excerpt("\(error)"))"))
            return nil
        }
    }

    static func problem(_ error: YamlError, file: String, yaml: String) -> ScenarioProblem {
        func at(_ mark: Mark, _ problem: String, _ context: YamlError.Context?) -> ScenarioProblem {
            var message = "YAML syntax error: \(problem)"
            if let context, !context.text.isEmpty {
                message += " (\(excerpt(context.text)) at \(context.mark.line):\(context.mark.column))"
            }
            return ScenarioProblem(file: file, line: mark.line, column: mark.column, keyPath: "", message: message)
        }
        switch error {
        case let .scanner(context, problem, mark, _): return at(mark, problem, context)
        case let .parser(context, problem, mark, _): return at(mark, problem, context)
        case let .composer(context, problem, mark, _): return at(mark, problem, context)
        case let .duplicatedKeysInMapping(duplicates, context):
            let names = duplicates.map { quoted($0) }.joined(separator: ", ")
            return ScenarioProblem(file: file, line: context.mark.line, column: context.mark.column, keyPath: "",
                                   message: "duplicate key \(names) in a mapping")
        case let .reader(problem, offset, _, _):
            var line: Int?, column: Int?
            if let offset {
                let prefix = yaml.utf8.prefix(offset)
                line = prefix.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
                column = prefix.reversed().prefix { $0 != UInt8(ascii: "\n") }.count + 1
            }
            return ScenarioProblem(file: file, line: line ?? 1, column: column ?? 1, keyPath: "", message: "cannot read YAML: \(excerpt(problem))")
        default:
            return ScenarioProblem(file: file, line: 1, column: 1, keyPath: "", message: "YAML error: \(excerpt("\(error)"))")
        }
    }

    /// Nodes in the tree under `root` with every alias expanded, counting no further than just
    /// past `limit`: O(min(nodes, limit)) time, whatever the aliases would expand to.
    static func nodeCount(_ root: Node, upTo limit: Int) -> Int {
        var count = 0
        var stack = [root]
        while let node = stack.popLast() {
            count += 1
            if count > limit { return count }
            switch node {
            case .scalar, .alias: break
            case .sequence(let sequence): stack.append(contentsOf: sequence)
            case .mapping(let mapping):
                for (key, value) in mapping { stack.append(key); stack.append(value) }
            }
        }
        return count
    }

    /// The 1-based line and column (in bytes) of the first byte that is not valid UTF-8.
    static func firstInvalidUTF8(_ data: Data) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0, position = 0
        var decoder = UTF8()
        var bytes = data.makeIterator()
        while case .scalarValue(let scalar) = decoder.decode(&bytes) {
            position += UTF8.width(scalar)
            if scalar == "\n" { line += 1; lineStart = position }
        }
        return (line, position - lineStart + 1)
    }
}

/// Path arithmetic on strings, so names in messages stay as the user wrote them.
enum FilePath {
    /// `scenarios/x.yaml` -> `scenarios`; `x.yaml` -> `.`; `/x.yaml` -> `/`.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// `relative` resolved against `directory` (an absolute `relative` stays as it is).
    static func join(_ directory: String, _ relative: String) -> String {
        if relative.hasPrefix("/") || directory.isEmpty || directory == "." { return relative }
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// `scenarios/mm1.yaml` -> `mm1`.
    static func stem(_ path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        return name
    }
}
