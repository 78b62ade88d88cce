// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import XCTest

/// `archsim lab`: Ctrl-C while real servers run stops them all, and writes no output.
final class LabInterruptTests: XCTestCase {
    func testInterruptStopsEveryServerOfTheLab() throws {
        let base = NSTemporaryDirectory() + "archsim-lab-int-\(getpid())"
        try? FileManager.default.removeItem(atPath: base)
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let dir = base + "/lab", out = base + "/out"
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = ["lab", "check", "--quick", "--only", "hot-row", "--dir", dir, "--out", out]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()

        // Wait until PostgreSQL runs (lab.json names it and it has forked its helpers).
        var running: [Int32] = []
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline && p.isRunning {
            if let data = recordedDataDirectory(dir) {
                running = working(in: data)
                if running.count >= 4 { break }
            }
            usleep(100_000)
        }
        XCTAssertGreaterThanOrEqual(running.count, 4, "PostgreSQL did not come up")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 128 + SIGINT)
        for pid in running { XCTAssertFalse(alive(pid), "pid \(pid) left running after Ctrl-C") }
        if let data = recordedDataDirectory(dir) { XCTAssertEqual(working(in: data), [], "servers left running after Ctrl-C") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/real_vs_theory.csv"), "no output from an interrupted run")
        let down = try CLI.run(["lab", "down", "--dir", dir])
        XCTAssertEqual(down.status, 0, down.stderr)
        XCTAssertTrue(down.stdout.contains("nothing was running"), down.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "lab down removes the lab directory")
    }

    func recordedDataDirectory(_ dir: String) -> String? {
        guard let data = FileManager.default.contents(atPath: dir + "/lab.json"),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let servers = json["servers"] as? [[String: Any]],
              let process = servers.first?["process"] as? [String: Any] else { return nil }
        return process["directory"] as? String
    }

    /// Live processes working in `directory`: a PostgreSQL server and every process it forked
    /// (each a session of its own, so no process group holds them all).
    func working(in directory: String) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap(Int32.init).filter { pid in
            guard alive(pid), let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return cwd == directory || cwd.hasPrefix(directory + "/")
        }.sorted()
    }

    func alive(_ pid: Int32) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return false }
        return text[text.index(after: close)...].split(separator: " ").first != "Z"
    }
}
