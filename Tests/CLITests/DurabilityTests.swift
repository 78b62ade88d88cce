// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// Durability of the real backend (issue #12): `archsim backend serve` is killed with SIGKILL
/// while a stream of orders runs, restarted on the same directory, and every order it had
/// acknowledged (a 2xx received) is there. Three rounds on one directory.
final class DurabilityTests: XCTestCase {
    /// A running `archsim backend serve` and the port it listens on.
    struct Server {
        let process: Process
        let port: Int
        var base: String { "http://127.0.0.1:\(port)" }
    }

    /// Starts the backend on a free port and waits for its "listening on" line (at most 60 s).
    func start(directory: String) throws -> Server {
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = ["backend", "serve", "--port", "0", "--dir", directory, "--products", "2000", "--users", "2000",
                       "--replicas", "1", "--synchronous", "full"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { if !p.isRunning { break }; continue }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), text[range.upperBound...].dropFirst(digits.count).first != nil {
                    return Server(process: p, port: port)
                }
            }
        }
        p.terminate()
        throw XCTSkip("the backend did not start: \(text)")
    }

    static func post(_ url: String, _ body: [String: Any], session: URLSession) async -> (status: Int, json: [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try? JSONSerialization.data(withJSONObject: body)
        guard let (data, response) = try? await session.data(for: request), let http = response as? HTTPURLResponse else {
            return (0, [:])
        }
        return (http.statusCode, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    func testAcknowledgedOrdersSurviveSIGKILL() async throws {
        let dir = try CLI.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 10
        let session = URLSession(configuration: config)
        var acknowledged: [Int] = []
        for round in 0..<3 {
            let server = try start(directory: dir)
            // Four clients send orders until the server dies under them.
            let pid = server.process.processIdentifier, base = server.base
            let killer = Task.detached {
                try await Task.sleep(nanoseconds: 1_500_000_000)
                kill(pid, SIGKILL)
            }
            let ids = await withTaskGroup(of: [Int].self) { group in
                for client in 0..<4 {
                    group.addTask {
                        var mine: [Int] = []
                        for i in 0..<100_000 {
                            let r = await Self.post(base + "/orders", [
                                "user_id": 1 + (client * 7 + i) % 2000,
                                "idempotency_key": "kill-\(round)-\(client)-\(i)",
                                "items": [["product_id": 1 + (client * 131 + i * 17) % 2000, "quantity": 1]],
                            ], session: session)
                            if r.status == 0 { break }   // the server is gone
                            if (200..<300).contains(r.status), let id = (r.json["order"] as? [String: Any])?["id"] as? Int {
                                mine.append(id)
                            }
                        }
                        return mine
                    }
                }
                var all: [Int] = []
                for await ids in group { all += ids }
                return all
            }
            _ = try await killer.value
            server.process.waitUntilExit()
            XCTAssertEqual(server.process.terminationReason, .uncaughtSignal, "round \(round): killed, not stopped")
            XCTAssertGreaterThan(ids.count, 5, "round \(round): orders were acknowledged before the kill")
            acknowledged += ids

            // On the same directory: every acknowledged order so far is there (read on the primary).
            let restarted = try start(directory: dir)
            var missing: [Int] = []
            for id in acknowledged {
                var request = URLRequest(url: URL(string: restarted.base + "/orders/\(id)?consistency=strong")!)
                request.httpMethod = "GET"
                let (_, response) = try await session.data(for: request)
                if (response as? HTTPURLResponse)?.statusCode != 200 { missing.append(id) }
            }
            XCTAssertEqual(missing, [], "round \(round): acknowledged orders lost after SIGKILL")
            print("durability round \(round): \(ids.count) orders acknowledged before SIGKILL; "
                  + "\(acknowledged.count - missing.count) of \(acknowledged.count) found after the restart")
            restarted.process.terminate()
            restarted.process.waitUntilExit()
        }
        XCTAssertEqual(Set(acknowledged).count, acknowledged.count, "no order id acknowledged twice")
    }
}
