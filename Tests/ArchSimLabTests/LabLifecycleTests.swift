// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimLab
import Foundation
import XCTest

/// Real PostgreSQL servers (Debian's package; scripts/setup installs it): started, used and
/// stopped; nothing may be left running after `down` or a failed start.
final class LabLifecycleTests: XCTestCase {
    func temporaryLabDirectory() -> String {
        let dir = NSTemporaryDirectory() + "archsim-lab-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testUpAnswersThenDownLeavesNothingRunning() async throws {
        let dir = temporaryLabDirectory()
        let lab = try Lab(directory: dir)
        var settings = PostgreSQLSettings()
        settings.sharedBuffers = "16MB"
        settings.maxConnections = 20
        let server = try await lab.startPostgreSQL(name: "primary", settings: settings)
        let group = try XCTUnwrap(server.process).live
        XCTAssertGreaterThan(group.count, 1, "postmaster and its background processes (each a session of its own)")
        let c = try await server.connect()
        var shown: [String] = []
        for name in ["shared_buffers", "max_connections", "synchronous_commit"] {
            for try await (v) in try await c.query("SELECT current_setting(\(name))", logger: .init(label: "t")).decode(String.self) { shown.append(v) }
        }
        try await c.close()
        XCTAssertEqual(shown, ["16MB", "20", "on"], "the settings written are the settings in force")
        // From another process's view (lab.json only): the postmaster and its background
        // processes (checkpointer, background writer, WAL writer, launchers; workers come and go).
        let running = try Lab.running(in: dir)
        XCTAssertTrue(running.contains(server.process!.pid))
        XCTAssertGreaterThanOrEqual(running.count, 5, "lab.json finds the server's children: \(running)")

        XCTAssertEqual(try Lab.down(directory: dir, remove: true), ["primary"])
        for pid in group { XCTAssertNil(ProcessTable.entry(pid).flatMap { $0.state == "Z" ? nil : $0 }, "pid \(pid) still runs") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "down removes the lab directory")
    }

    func testARelativeDirectoryFindsEveryProcess() async throws {
        // Processes are found by their working directory, which /proc shows absolute.
        let dir = temporaryLabDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(dir)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        let lab = try Lab(directory: "lab")
        XCTAssertEqual(lab.directory, URL(fileURLWithPath: dir + "/lab").resolvingSymlinksInPath().path)
        let server = try await lab.startPostgreSQL(name: "primary", settings: PostgreSQLSettings())
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(server.process).live.count, 5)
        XCTAssertGreaterThanOrEqual(try Lab.running(in: "lab").count, 5, "lab.json, read from a relative path, finds them too")
        XCTAssertEqual(try Lab.down(directory: "lab", remove: true), ["primary"])
        XCTAssertEqual(try XCTUnwrap(server.process).live, [])
    }

    func testFailedStartLeavesNothingRunningAndSaysWhy() async throws {
        let dir = temporaryLabDirectory()
        let lab = try Lab(directory: dir)
        var settings = PostgreSQLSettings()
        settings.sharedBuffers = "lots"
        do {
            _ = try await lab.startPostgreSQL(name: "primary", settings: settings)
            XCTFail("a server with shared_buffers = lots must not start")
        } catch let e as LabError {
            XCTAssertTrue(e.description.contains("exited while starting"), e.description)
            XCTAssertTrue(e.description.contains("shared_buffers"), "the log's reason reaches the user: \(e.description)")
        }
        XCTAssertEqual(try Lab.running(in: dir), [])
        XCTAssertEqual(lab.down(), [])
    }

    func testASecondLabInARunningDirectoryIsRefused() async throws {
        let dir = temporaryLabDirectory()
        let lab = try Lab(directory: dir)
        _ = try await lab.startPostgreSQL(name: "primary", settings: PostgreSQLSettings())
        defer { lab.down() }
        XCTAssertThrowsError(try Lab(directory: dir)) { e in
            XCTAssertTrue("\(e)".contains("archsim lab down --dir"), "\(e)")
        }
    }
}
