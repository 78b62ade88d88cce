// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimLab
import Foundation
import XCTest

/// The RESP client against a real redis-server (Debian's package; scripts/setup installs it).
final class RedisClientTests: XCTestCase {
    func testCommandsAgainstARealRedis() async throws {
        let dir = NSTemporaryDirectory() + "archsim-redis-test-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lab = try Lab(directory: dir)
        defer { XCTAssertEqual(lab.down(), [], "Redis left running") }
        let redis = try await lab.startRedis(name: "redis", settings: RedisSettings())
        XCTAssertFalse(try XCTUnwrap(redis.process).live.isEmpty)

        try await RedisClient.withConnection(port: redis.port) { c in
            let missing = try await c.get("absent")
            XCTAssertNil(missing, "a miss is the null bulk string")
            try await c.set("k", "value with spaces\r\nand a CRLF")
            let back = try await c.get("k")
            XCTAssertEqual(back.map { String(decoding: $0, as: UTF8.self) }, "value with spaces\r\nand a CRLF", "bulk strings are binary-safe")

            // A value larger than one read of the socket arrives in pieces and is reassembled.
            let big = String(repeating: "0123456789", count: 200_000)
            try await c.set("big", big)
            let bigBack = try await c.get("big")
            XCTAssertEqual(bigBack?.count, 2_000_000)
            XCTAssertEqual(bigBack.map { String(decoding: $0, as: UTF8.self) } == big, true)

            try await c.set("short", "x", ttl: 0.05)
            let fresh = try await c.get("short")
            XCTAssertNotNil(fresh)
            try await Task.sleep(for: .milliseconds(150))
            let expired = try await c.get("short")
            XCTAssertNil(expired, "SET with a TTL expires")

            let deleted = try await c.del("k", "big", "absent")
            XCTAssertEqual(deleted, 2)
            let gone = try await c.get("k")
            XCTAssertNil(gone)

            let info = try await c.info("server")
            XCTAssertEqual(info["tcp_port"], String(redis.port))
            XCTAssertNotNil(info["redis_version"])
            let stats = try await c.info("stats")
            XCTAssertEqual(stats["keyspace_misses"], "3", "absent, short after expiry, k after DEL")

            // Arrays, integers and errors.
            guard case .array(let items?) = try await c.command(["MGET", "nothing", "short"]) else { return XCTFail("MGET answers an array") }
            XCTAssertEqual(items, [.bulk(nil), .bulk(nil)])
            guard case .integer(1) = try await c.command(["INCR", "n"]) else { return XCTFail("INCR answers an integer") }
            try await c.set("text", "abc")
            do {
                _ = try await c.command(["INCR", "text"])
                XCTFail("INCR of a string must fail")
            } catch let e as RESPError {
                XCTAssertTrue(e.description.contains("not an integer"), e.description)
            }
            let afterError = try await c.command(["PING"]).text
            XCTAssertEqual(afterError, "PONG", "the connection stays usable after an error answer")
        }
    }

    func testOneClientPipelinesCommandsFromManyTasksAndFailsThemWhenRedisGoes() async throws {
        let dir = NSTemporaryDirectory() + "archsim-redis-pipe-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lab = try Lab(directory: dir)
        defer { lab.down() }
        let redis = try await lab.startRedis(name: "redis", settings: RedisSettings())
        let client = try await RedisClient.connect(port: redis.port)
        // 400 tasks on one connection: each answer reaches the command that asked for it.
        let wrong = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<400 {
                group.addTask {
                    try await client.set("key\(i)", "value\(i)")
                    let back = try await client.get("key\(i)").map { String(decoding: $0, as: UTF8.self) }
                    return back == "value\(i)" ? 0 : 1
                }
            }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(wrong, 0, "answers paired with their commands")
        XCTAssertEqual(lab.down(), [])
        do {
            _ = try await client.get("key1")
            XCTFail("a command to a stopped server must fail, not wait")
        } catch {}
        await client.close()
    }
}
