// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// `archsim lab up --step N`: the article's architectures as real processes (PostgreSQL and a
/// streaming replica, Redis, backend processes, nginx), used over HTTP as a user would, then
/// stopped with nothing left running.
final class LabStepTests: XCTestCase {
    func testStepFiveServesCachesInvalidatesReplicatesAndSurvivesABackendDying() throws {
        let base = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let dir = base.appendingPathComponent("lab").path
        let up = try CLI.run(["lab", "up", "--step", "5", "--backends", "2", "--products", "2000", "--users", "5000", "--dir", dir])
        var downed = false
        defer { if !downed { _ = try? CLI.run(["lab", "down", "--dir", dir]) } }
        XCTAssertEqual(up.status, 0, up.stdout + up.stderr)
        XCTAssertTrue(up.stdout.contains("scenarios/evolution/05-read-write-split.yaml"), up.stdout)
        let settings = try String(contentsOfFile: dir + "/settings.csv", encoding: .utf8)
        for expected in ["postgresql,shared_buffers,128MB", "redis,maxmemory-policy,allkeys-lru", "nginx,proxy_next_upstream,error", "backend,processes,2"] {
            XCTAssertTrue(settings.contains(expected), "settings.csv lacks \(expected):\n\(settings)")
        }
        let state = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/lab.json"))) as? [String: Any])
        let proxies = try XCTUnwrap(state["proxies"] as? [[String: Any]])
        let backends = try XCTUnwrap(state["backends"] as? [[String: Any]])
        XCTAssertEqual(backends.count, 2)
        let entry = "http://127.0.0.1:\(try XCTUnwrap(proxies.first?["port"] as? Int))"

        let health = try get(entry + "/health")
        XCTAssertEqual(health["storage"] as? String, "postgres")
        XCTAssertEqual(health["cache"] as? String, "redis")
        XCTAssertEqual(health["replicas"] as? String, "1")

        // Cache-aside through Redis: the first read misses, later ones hit (whichever backend answers).
        let before = try get(entry + "/products/7")
        for _ in 0..<3 { XCTAssertEqual(try get(entry + "/products/7")["stock"] as? Int, before["stock"] as? Int) }
        var cacheHits = 0
        for _ in 0..<2 { cacheHits += try get(entry + "/cache")["hits"] as? Int ?? 0 }
        XCTAssertGreaterThanOrEqual(cacheHits, 1, "a repeated product read hits Redis")

        // An order writes the primary and invalidates the cached product; once the replica has
        // replayed it, a plain read (replica + cache) shows the new stock.
        let stock = try XCTUnwrap(before["stock"] as? Int)
        XCTAssertGreaterThan(stock, 0)
        let (status, placed) = try send("POST", entry + "/orders", ["user_id": 9, "items": [["product_id": 7, "quantity": 1]]])
        XCTAssertEqual(status, 201, "\(placed)")
        XCTAssertEqual(try get(entry + "/products/7?consistency=strong")["stock"] as? Int, stock - 1)
        // replay_lsn is the standby's last report: it may come with its next status message,
        // up to wal_receiver_status_interval (10 s) after the replay.
        var caughtUp = false
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let standbys = try get(entry + "/replication")["standbys"] as? [[String: Any]] ?? []
            XCTAssertEqual(standbys.count, 1)
            if standbys.allSatisfy({ ($0["state"] as? String) == "streaming" && ($0["behind_bytes"] as? Int) == 0 }) { caughtUp = true; break }
            usleep(50_000)
        }
        XCTAssertTrue(caughtUp, "the streaming replica caught up")
        XCTAssertEqual(try get(entry + "/products/7")["stock"] as? Int, stock - 1, "the order invalidated the cached product")

        // The shop's refusals keep their status over PostgreSQL.
        XCTAssertEqual(try send("GET", entry + "/products/999999", nil).0, 404)
        XCTAssertEqual(try send("POST", entry + "/orders", ["user_id": 9, "items": [["product_id": 7, "quantity": 1000]]]).0, 409, "insufficient stock")
        XCTAssertEqual(try send("POST", entry + "/payments", ["order_id": 424242]).0, 404)

        // One backend dies: nginx passes its requests to the other (proxy_next_upstream error;
        // GETs: nginx does not resend a POST it has already sent).
        let victim = try XCTUnwrap((backends[0]["process"] as? [String: Any])?["pid"] as? Int)
        kill(Int32(victim), SIGKILL)
        for i in 0..<20 { XCTAssertEqual(try send("GET", entry + "/products/\(i + 1)", nil).0, 200, "request \(i) after a backend died") }

        let down = try CLI.run(["lab", "down", "--dir", dir])
        downed = true
        XCTAssertEqual(down.status, 0, down.stderr)
        for name in ["nginx", "backend-2", "redis", "replica-1", "primary"] { XCTAssertTrue(down.stdout.contains(name), down.stdout) }
        XCTAssertEqual(working(in: dir), [], "processes left running after lab down")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir))
    }

    func testStepsWithoutARealCounterpartAreRefusedWithAReason() throws {
        let r = try CLI.run(["lab", "up", "--step", "3", "--dir", NSTemporaryDirectory() + "archsim-lab-never-\(getpid())"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("vertical split"), r.stderr)
        let b = try CLI.run(["lab", "up", "--step", "1", "--backends", "3"])
        XCTAssertEqual(b.status, 2)
        XCTAssertTrue(b.stderr.contains("step 2"), b.stderr)
        let ttl = try CLI.run(["lab", "up", "--step", "2", "--cache-ttl", "5"])
        XCTAssertEqual(ttl.status, 2, "an option the step does not use is refused, not ignored")
        XCTAssertTrue(ttl.stderr.contains("Redis is step 4"), ttl.stderr)
    }

    func testTheBackendRefusesAStorageItCannotUseWithASentence() throws {
        let closed = try CLI.run(["backend", "serve", "--port", "0", "--storage", "postgres://archsim@127.0.0.1:1/postgres"])
        XCTAssertEqual(closed.status, 2)
        XCTAssertTrue(closed.stderr.contains("cannot connect to PostgreSQL at postgres://archsim@127.0.0.1:1/postgres"), closed.stderr)
        let scheme = try CLI.run(["backend", "serve", "--port", "0", "--storage", "mysql://root@127.0.0.1/shop"])
        XCTAssertEqual(scheme.status, 2)
        XCTAssertTrue(scheme.stderr.contains("expected postgres://USER@HOST:PORT/DATABASE"), scheme.stderr)
        let cache = try CLI.run(["backend", "serve", "--port", "0", "--cache", "redis://127.0.0.1:6379"])
        XCTAssertEqual(cache.status, 2)
        XCTAssertTrue(cache.stderr.contains("needs --storage postgres"), cache.stderr)
    }

    // MARK: Helpers

    func send(_ method: String, _ url: String, _ body: Any?) throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 10
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.status = (response as? HTTPURLResponse)?.statusCode ?? -1
            box.data = data ?? Data()
            box.error = error
            done.signal()
        }.resume()
        done.wait()
        if let error = box.error { throw error }
        let json = (try? JSONSerialization.jsonObject(with: box.data)) as? [String: Any] ?? [:]
        return (box.status, json)
    }

    func get(_ url: String) throws -> [String: Any] {
        let (status, json) = try send("GET", url, nil)
        XCTAssertEqual(status, 200, "GET \(url): \(json)")
        return json
    }

    final class Box: @unchecked Sendable { var status = -1; var data = Data(); var error: (any Error)? }

    /// Live (not zombie) processes working in `directory` or below.
    func working(in directory: String) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] != "Z",
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return cwd == directory || cwd.hasPrefix(directory + "/")
        }.sorted()
    }
}
