// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// A fresh directory under the system's temporary directory, removed by the caller.
func temporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "archsim-backend-tests-\(name)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A test configuration: loopback, ephemeral port, the small catalogue.
func testConfiguration(_ directory: String, replicas: Int = 2, cacheCapacity: Int = 100) -> BackendConfiguration {
    BackendConfiguration(host: "127.0.0.1", port: 0, directory: directory, replicas: replicas, catalogue: .small,
                         cacheCapacity: cacheCapacity, synchronous: .normal, readerConnections: 4, maxBodyBytes: 16 * 1024)
}

/// A tiny HTTP client over URLSession with a short timeout: (status, JSON object).
struct Client {
    let base: String
    let session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = 20
        c.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: c)
    }()

    struct Reply {
        var status: Int
        var body: Data
        var headers: [AnyHashable: Any]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    }

    func send(_ method: String, _ path: String, body: Data? = nil, contentType: String? = "application/json") async throws -> Reply {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.httpBody = body
        if let contentType, body != nil { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        return Reply(status: http.statusCode, body: data, headers: http.allHeaderFields)
    }

    func get(_ path: String) async throws -> Reply { try await send("GET", path) }

    func post(_ path: String, _ object: [String: Any]) async throws -> Reply {
        try await send("POST", path, body: try JSONSerialization.data(withJSONObject: object))
    }

    func post(_ path: String, raw: String) async throws -> Reply { try await send("POST", path, body: Data(raw.utf8)) }
}

/// Starts a backend in a fresh directory, runs `body`, stops it and removes the directory.
func withBackend(_ name: String, replicas: Int = 2, cacheCapacity: Int = 100,
                 _ body: (Backend, Client) async throws -> Void) async throws {
    let dir = temporaryDirectory(name)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let backend = try await Backend.start(testConfiguration(dir, replicas: replicas, cacheCapacity: cacheCapacity))
    do {
        try await body(backend, Client(base: backend.baseURL))
    } catch {
        try? await backend.stop()
        throw error
    }
    try await backend.stop()
}
