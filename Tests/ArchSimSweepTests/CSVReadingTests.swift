// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimReport
import XCTest

/// `CSVTable(parsing:)`, the RFC 4180 reader sweeps read their files with.
final class CSVReadingTests: XCTestCase {
    func testRoundTripOfWhatTheWriterWrites() throws {
        var t = CSVTable(header: ["a", "b,c", "d"])
        t.append(["1", "say \"hi\"", ""])
        t.append(["two\nlines", "x", "crlf\r\nin a cell"])
        t.append(["", "", ""])
        let parsed = try CSVTable(parsing: t.text)
        XCTAssertEqual(parsed.header, t.header)
        XCTAssertEqual(parsed.rows, t.rows)
        XCTAssertEqual(parsed.text, t.text)
    }

    func testLineEndsAndLastLine() throws {
        XCTAssertEqual(try CSVTable(parsing: "a,b\r\n1,2\r\n").rows, [["1", "2"]])
        XCTAssertEqual(try CSVTable(parsing: "a,b\n1,2").rows, [["1", "2"]])
        XCTAssertEqual(try CSVTable(parsing: "a,b\n1,\"\"").rows, [["1", ""]])
        XCTAssertEqual(try CSVTable(parsing: "a,b\n").rows, [])
        XCTAssertEqual(try CSVTable(parsing: "a,b\n,\n").rows, [["", ""]])
    }

    func testDamagedTextIsRefusedWithItsLine() {
        let cases: [(String, Int, String)] = [
            ("", 1, "empty"),
            ("a,b\n1,2\n3\n", 3, "1 cells where the header has 2"),
            ("a,b\n1,2,3\n", 2, "3 cells"),
            ("a,b\n1,x\"y\n", 2, "quote inside an unquoted cell"),
            ("a,b\n\"1\"x,2\n", 2, "after a closing quote"),
            ("a,b\n1,2\n\"3,\n4\n", 3, "not closed"),
            ("a,b\n\"x\ny\",1\n1\n", 4, "1 cells"),
        ]
        for (text, line, fragment) in cases {
            do {
                _ = try CSVTable(parsing: text)
                XCTFail("accepted \(text.debugDescription)")
            } catch {
                XCTAssertEqual(error.line, line, text.debugDescription)
                XCTAssert(error.message.contains(fragment), "\(text.debugDescription): \(error)")
            }
        }
    }
}
