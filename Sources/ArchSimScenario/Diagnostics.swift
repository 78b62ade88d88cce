// SPDX-License-Identifier: GPL-3.0-or-later
import Yams

/// A YAML file being read: its name as shown in messages, and the directory its relative
/// paths resolve against.
struct SourceFile {
    var name: String
    var directory: String
}

/// A node together with where it is: its file and key path. Readers pass cursors down so
/// every problem can name file, line, column and key path.
struct Cursor {
    var node: Node
    var file: SourceFile
    var path: String

    func child(_ key: String, _ node: Node) -> Cursor {
        Cursor(node: node, file: file, path: path.isEmpty ? key : path + "." + key)
    }
    func element(_ index: Int, _ node: Node) -> Cursor {
        Cursor(node: node, file: file, path: path + "[\(index)]")
    }
    /// The same place, under another key path (for problems about a key of this mapping).
    func at(path: String) -> Cursor { Cursor(node: node, file: file, path: path) }
}

/// Collects problems; the loader throws them all at once at the end.
final class Diagnostics {
    private var found: [ScenarioProblem] = []
    /// Files in the order they were opened: the scenario file first, then what it includes.
    private var files: [String] = []

    /// Notes that `file` is being read, so its problems sort after those of earlier files.
    func opened(_ file: String) { if !files.contains(file) { files.append(file) } }

    var isEmpty: Bool { found.isEmpty }

    func report(_ at: Cursor, _ message: String) {
        let mark = at.node.mark
        found.append(ScenarioProblem(file: at.file.name, line: mark?.line, column: mark?.column,
                                     keyPath: at.path, message: message))
    }

    func report(_ problem: ScenarioProblem) { found.append(problem) }

    /// Problems in reading order: files in the order they were opened (then any other file
    /// in the order its first problem was found), then line and column; problems at one place
    /// keep the order they were found in.
    var problems: [ScenarioProblem] {
        var fileRank: [String: Int] = [:]
        for file in files where fileRank[file] == nil { fileRank[file] = fileRank.count }
        for problem in found where fileRank[problem.file] == nil { fileRank[problem.file] = fileRank.count }
        return found.enumerated().sorted { a, b in
            let ka = (fileRank[a.element.file]!, a.element.line ?? 0, a.element.column ?? 0, a.offset)
            let kb = (fileRank[b.element.file]!, b.element.line ?? 0, b.element.column ?? 0, b.offset)
            return ka < kb
        }.map(\.element)
    }

    var errors: ScenarioErrors { ScenarioErrors(problems: problems) }
}

// MARK: - Nodes

extension Node {
    /// A plain `~`, `null` or empty value.
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The text of a scalar that is not null.
    var text: String? {
        guard case .scalar(let scalar) = self, !isNull else { return nil }
        return scalar.string
    }

    /// How the node reads in a message: `a mapping`, `a list`, `nothing`, `-3`, `'abc'`.
    var described: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull { return "nothing" }
            if ValueSyntax.number(scalar.string) != nil { return scalar.string }
            return "'\(scalar.string)'"
        }
    }
}

/// A mapping read key by key: unknown keys are problems with a did-you-mean; merge keys
/// (`<<: *anchor`) are expanded where they stand, explicit keys winning.
struct MapReader {
    struct Entry {
        var name: String
        var key: Cursor
        var value: Cursor
    }

    let cursor: Cursor
    private(set) var entries: [Entry] = []

    /// Reports `expected <what>, got …` and returns nil when the node is not a mapping. A null
    /// value reads as an empty mapping when `allowNull`.
    init?(_ cursor: Cursor, _ diagnostics: Diagnostics, expected what: String = "a mapping", allowNull: Bool = false) {
        self.cursor = cursor
        if allowNull && cursor.node.isNull { return }
        guard case .mapping(let mapping) = cursor.node else {
            diagnostics.report(cursor, "expected \(what), got \(cursor.node.described)")
            return nil
        }
        var explicit: [String] = []
        for (key, _) in mapping { if let name = key.text, name != "<<" { explicit.append(name) } }
        var seen: [String] = []
        for (key, value) in mapping {
            if case .scalar(let scalar) = key, scalar.string == "<<", scalar.style == .plain {
                let sources: [Node]
                switch value {
                case .mapping: sources = [value]
                case .sequence(let sequence): sources = Array(sequence)
                default:
                    diagnostics.report(cursor.child("<<", key), "a merge key takes a mapping or a list of mappings, got \(value.described)")
                    continue
                }
                for source in sources {
                    guard case .mapping(let merged) = source else {
                        diagnostics.report(cursor.child("<<", source), "a merge key takes mappings, got \(source.described)")
                        continue
                    }
                    for (mergedKey, mergedValue) in merged {
                        guard let name = mergedKey.text, !explicit.contains(name), !seen.contains(name) else { continue }
                        seen.append(name)
                        entries.append(Entry(name: name, key: cursor.child(name, mergedKey), value: cursor.child(name, mergedValue)))
                    }
                }
                continue
            }
            guard let name = key.text else {
                diagnostics.report(cursor.child("?", key), "expected a key name, got \(key.described)")
                continue
            }
            guard !seen.contains(name) else { continue }
            seen.append(name)
            entries.append(Entry(name: name, key: cursor.child(name, key), value: cursor.child(name, value)))
        }
    }

    var isEmpty: Bool { entries.isEmpty }

    subscript(key: String) -> Cursor? { entries.first { $0.name == key }?.value }

    func has(_ key: String) -> Bool { entries.contains { $0.name == key } }

    /// The value at `key`, or a `missing required key` problem at this mapping.
    func require(_ key: String, _ diagnostics: Diagnostics, _ what: String? = nil) -> Cursor? {
        if let value = self[key] { return value }
        diagnostics.report(cursor, "missing required key '\(key)'" + (what.map { " (\($0))" } ?? ""))
        return nil
    }

    /// Reports every key not in `allowed`, with a did-you-mean. `explain` may give a better
    /// message for a key known elsewhere (say, `users` under open arrivals).
    func checkKeys(_ allowed: [String], _ diagnostics: Diagnostics, explain: (String) -> String? = { _ in nil }) {
        for entry in entries where !allowed.contains(entry.name) {
            diagnostics.report(entry.key, explain(entry.name) ?? unknown("key", entry.name, allowed))
        }
    }
}

// MARK: - Did you mean

/// `unknown key 'worker', did you mean 'workers'?` or, with no close candidate,
/// `unknown key 'x' (expected one of: a, b, c)`.
func unknown(_ what: String, _ word: String, _ candidates: [String]) -> String {
    if let close = closest(word, among: candidates) {
        return "unknown \(what) '\(word)', did you mean '\(close)'?"
    }
    if candidates.isEmpty { return "unknown \(what) '\(word)'" }
    return "unknown \(what) '\(word)' (expected one of: \(candidates.joined(separator: ", ")))"
}

/// The candidate nearest to `word` by edit distance (case-insensitive, a transposition
/// counting one), if near enough to be a likely typo; ties go to the earlier candidate.
func closest(_ word: String, among candidates: [String]) -> String? {
    let limit = max(1, min(3, word.count / 3))
    var best: (String, Int)?
    for candidate in candidates {
        let distance = editDistance(word.lowercased(), candidate.lowercased())
        if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
    }
    return best?.0
}

/// Optimal string alignment distance.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
            }
        }
    }
    return d[a.count][b.count]
}
