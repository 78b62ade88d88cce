// SPDX-License-Identifier: GPL-3.0-or-later

/// A YAML document as the scenario writer builds it: mappings keep their key order (never a
/// `Dictionary`'s), and every mapping entry may carry a comment written after its value.
indirect enum YAMLNode: Equatable {
    /// A scalar's text; the emitter quotes it when YAML would read it otherwise.
    case scalar(String)
    /// `true` or `false`, unquoted (a `.scalar("true")` would be quoted to stay a string).
    case boolean(Bool)
    case mapping([YAMLEntry])
    case sequence([YAMLNode])
}

struct YAMLEntry: Equatable {
    var key: String
    var value: YAMLNode
    /// Written as `# comment` after the value (after the `key:` of a mapping or list).
    var comment: String?
}

/// Block-style YAML, two spaces per level, one line per scalar: the style of the bundled
/// scenarios. Deterministic: the same node gives the same bytes. O(size of the output).
enum YAMLEmitter {
    /// The document: `header` lines as comments, then `root`'s lines.
    static func document(_ root: YAMLNode, header: [String] = []) -> String {
        var lines = header.map { $0.isEmpty ? "#" : "# " + oneLine($0) }
        lines += self.lines(root, indent: 0)
        return lines.joined(separator: "\n") + "\n"
    }

    static func lines(_ node: YAMLNode, indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        switch node {
        case .scalar(let text):
            return [pad + scalar(text)]
        case .boolean(let b):
            return [pad + (b ? "true" : "false")]
        case .mapping(let entries):
            if entries.isEmpty { return [pad + "{}"] }
            var out: [String] = []
            for entry in entries {
                let head = pad + scalar(entry.key) + ":"
                let note = entry.comment.map { "  # " + oneLine($0) } ?? ""
                switch entry.value {
                case .scalar(let text): out.append(head + " " + scalar(text) + note)
                case .boolean(let b): out.append(head + " " + (b ? "true" : "false") + note)
                case .mapping([]): out.append(head + " {}" + note)
                case .sequence([]): out.append(head + " []" + note)
                case .mapping, .sequence:
                    out.append(head + note)
                    out += lines(entry.value, indent: indent + 2)
                }
            }
            return out
        case .sequence(let items):
            if items.isEmpty { return [pad + "[]"] }
            var out: [String] = []
            for item in items {
                // The item's own lines, indented past the dash; the first one moves onto the dash's line.
                var inner = lines(item, indent: indent + 2)
                inner[0] = pad + "- " + inner[0].dropFirst(indent + 2)
                out += inner
            }
            return out
        }
    }

    /// Words YAML 1.1 or 1.2 readers take for null or booleans.
    static let reserved: Set<String> = ["null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"]

    /// `text` as a plain scalar when a YAML reader takes it back as the same string in block
    /// context, else double-quoted with escapes.
    static func scalar(_ text: String) -> String {
        isPlain(text) ? text : quoted(text)
    }

    static func isPlain(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last, !first.isWhitespace, !last.isWhitespace,
              !reserved.contains(text.lowercased()) else { return false }
        if "-?:,[]{}#&*!|>'\"%@`".contains(first) { return false }
        if text.hasSuffix(":") || text.contains(": ") || text.contains(" #") { return false }
        return text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A comment stays on its line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
