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

    static func quote(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
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
