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

    /// A key longer than ``Limits/excerpt`` shows in key paths as its excerpt.
    func child(_ key: String, _ node: Node) -> Cursor {
        let key = excerpt(key)
        return Cursor(node: node, file: file, path: path.isEmpty ? key : path + "." + key)
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
    /// Word × candidate comparisons spent on did-you-mean suggestions so far.
    var suggestionsCompared = 0
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
            if ValueSyntax.number(scalar.string) != nil { return excerpt(scalar.string) }
            return "\(quoted(scalar.string))"
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
        // Sets, not arrays: a mapping of n keys is read in O(n), not O(n²).
        var explicit: Set<String> = []
        for (key, _) in mapping { if let name = key.text, name != "<<" { explicit.insert(name) } }
        var seen: Set<String> = []
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
                        guard let name = mergedKey.text, !explicit.contains(name), seen.insert(name).inserted else { continue }
                        entries.append(Entry(name: name, key: cursor.child(name, mergedKey), value: cursor.child(name, mergedValue)))
                    }
                }
                continue
            }
            guard let name = key.text else {
                diagnostics.report(cursor.child("?", key), "expected a key name, got \(key.described)")
                continue
            }
            guard seen.insert(name).inserted else { continue }
            entries.append(Entry(name: name, key: cursor.child(name, key), value: cursor.child(name, value)))
        }
    }

    var isEmpty: Bool { entries.isEmpty }

    subscript(key: String) -> Cursor? { entries.first { $0.name == key }?.value }

    func has(_ key: String) -> Bool { entries.contains { $0.name == key } }

    /// The value at `key`, or a `missing required key` problem at this mapping.
    func require(_ key: String, _ diagnostics: Diagnostics, _ what: String? = nil) -> Cursor? {
        if let value = self[key] { return value }
        diagnostics.report(cursor, "missing required key \(quoted(key))" + (what.map { " (\($0))" } ?? ""))
        return nil
    }

    /// Reports every key not in `allowed`, with a did-you-mean. `explain` may give a better
    /// message for a key known elsewhere (say, `users` under open arrivals).
    func checkKeys(_ allowed: [String], _ diagnostics: Diagnostics, explain: (String) -> String? = { _ in nil }) {
        for entry in entries where !allowed.contains(entry.name) {
            diagnostics.report(entry.key, explain(entry.name) ?? diagnostics.unknown("key", entry.name, allowed))
        }
    }
}

// MARK: - Did you mean

extension Diagnostics {
    /// Candidates a file's did-you-mean suggestions may compare in all (word × candidate
    /// pairs): enough for every typo a person makes, while a generated file with thousands of
    /// unknown names against thousands of candidates still reads in linear time. Past it,
    /// messages name the unknown word without a suggestion.
    static let suggestionBudget = 1_000_000

    /// ``unknown(_:_:_:)`` with a suggestion while this file's suggestion budget lasts.
    func unknown(_ what: String, _ word: String, _ candidates: [String]) -> String {
        let suggest = suggestionsCompared + candidates.count <= Self.suggestionBudget
        if suggest { suggestionsCompared += candidates.count }
        return ArchSimScenario.unknown(what, word, candidates, suggest: suggest)
    }
}

extension ScenarioReader {
    func unknown(_ what: String, _ word: String, _ candidates: [String]) -> String {
        diagnostics.unknown(what, word, candidates)
    }
}

/// `unknown key 'worker', did you mean 'workers'?` or, with no close candidate,
/// `unknown key 'x' (expected one of: a, b, c)`; a long list names its first 20. Without
/// `suggest`, no did-you-mean is looked for.
func unknown(_ what: String, _ word: String, _ candidates: [String], suggest: Bool = true) -> String {
    if suggest, let close = closest(word, among: candidates) {
        return "unknown \(what) \(quoted(word)), did you mean \(quoted(close))?"
    }
    if candidates.isEmpty { return "unknown \(what) \(quoted(word))" }
    let shown = 20
    let list = candidates.prefix(shown).map(excerpt).joined(separator: ", ")
        + (candidates.count > shown ? ", … (\(candidates.count - shown) more)" : "")
    return "unknown \(what) \(quoted(word)) (expected one of: \(list))"
}

/// The candidate nearest to `word` by edit distance (case-insensitive, a transposition
/// counting one), if near enough to be a likely typo; ties go to the earlier candidate.
/// Candidates whose length differs by more than the limit are skipped without comparing.
func closest(_ word: String, among candidates: [String]) -> String? {
    let word = word.lowercased()
    let length = word.count
    let limit = max(1, min(3, length / 3))
    // A long word is no typo of a name, and comparing it would cost its length squared.
    guard length <= 64 else { return nil }
    var best: (String, Int)?
    for candidate in candidates {
        let lowered = candidate.lowercased()
        guard abs(lowered.count - length) <= limit else { continue }
        let distance = editDistance(word, lowered)
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
