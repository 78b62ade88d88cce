// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// RFC 4180 CSV text: a header row and rows of cells, `\n` line ends, `.` decimal point.
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [[String]] = []

    public init(header: [String]) { self.header = header }

    public mutating func append(_ cells: [String]) {
        precondition(cells.count == header.count, "row has \(cells.count) cells, header \(header.count)")
        rows.append(cells)
    }

    public var text: String {
        var out = ""
        for line in [header] + rows {
            out += line.map(Self.quote).joined(separator: ",")
            out += "\n"
        }
        return out
    }

    /// Quotes a cell holding a comma, a quote or a line break. Scalars, not Characters: `"\r\n"`
    /// is one Character, equal to neither `"\r"` nor `"\n"`.
    static func quote(_ cell: String) -> String {
        guard cell.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension CSVTable {
    /// Why a text is not a CSV table: the 1-based line where reading stopped, and what was wrong.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Reads RFC 4180 text: the first record is the header, every other record must have as many
    /// cells. Quoted cells may hold commas, `""` and line breaks; records end with `\n` or `\r\n`
    /// (the last may end with the text). Strict, so that a damaged file is refused rather than
    /// misread: a quote inside an unquoted cell, text after a closing quote, an unterminated
    /// quote, an empty text or a record of the wrong width is a ``ParseError``. For text this
    /// type wrote, `CSVTable(parsing: t.text).text == t.text`. Cost: linear in the text.
    public init(parsing text: String) throws(ParseError) {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var records: [(line: Int, cells: [String])] = []
        var cells: [String] = []
        var cell: [UInt8] = []
        var line = 1, recordLine = 1
        var quoted = false, closed = false
        func endCell() { cells.append(String(decoding: cell, as: UTF8.self)); cell.removeAll(keepingCapacity: true); closed = false }
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b != quote { cell.append(b); if b == lf { line += 1 } }
                else if i + 1 < bytes.count && bytes[i + 1] == quote { cell.append(quote); i += 1 }
                else { quoted = false; closed = true }
            } else if b == comma {
                endCell()
            } else if b == lf || (b == cr && i + 1 < bytes.count && bytes[i + 1] == lf) {
                if b == cr { i += 1 }
                endCell()
                records.append((recordLine, cells))
                cells = []
                line += 1; recordLine = line
            } else if closed {
                throw ParseError(line: line, message: "text after a closing quote")
            } else if b == quote {
                guard cell.isEmpty else { throw ParseError(line: line, message: "a quote inside an unquoted cell") }
                quoted = true
            } else {
                cell.append(b)
            }
            i += 1
        }
        if quoted { throw ParseError(line: recordLine, message: "a quoted cell is not closed") }
        if !cell.isEmpty || !cells.isEmpty || closed { endCell(); records.append((recordLine, cells)) }
        guard let header = records.first?.cells else { throw ParseError(line: 1, message: "no header row (the text is empty)") }
        self.init(header: header)
        for r in records.dropFirst() {
            guard r.cells.count == header.count else {
                throw ParseError(line: r.line, message: "\(r.cells.count) cells where the header has \(header.count)")
            }
            rows.append(r.cells)
        }
    }
}

/// Number formatting for CSV cells: fixed decimals, no exponent, no locale, no "-0".
public enum CSVNumber {
    /// `decimals` places, trailing zeros (and a trailing point) trimmed: 12.5, 3, 0.000125.
    public static func format(_ x: Double, decimals: Int = 6) -> String {
        guard x.isFinite else { return x.isNaN ? "" : (x > 0 ? "inf" : "-inf") }
        var s = String(format: "%.\(decimals)f", x)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }

    /// Empty when nil (a cell that does not apply).
    public static func format(_ x: Double?, decimals: Int = 6) -> String {
        x.map { format($0, decimals: decimals) } ?? ""
    }
}

/// Writes files so that a reader never sees half of one: into a temporary file beside the
/// target, then renamed over it.
public enum AtomicFile {
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try Data(text.utf8).write(to: tmp)
        if rename(tmp.path, url.path) != 0 {
            let err = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot write \(path): \(err)"])
        }
    }
}
