// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import GRDB
import Hummingbird
import HTTPTypes
import PostgresNIO

/// The backend's request context: Hummingbird's basic one with our body limit.
public struct ShopRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var maxBodyBytes: Int = 64 * 1024
    public init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }
    public var maxUploadSize: Int { maxBodyBytes }
}

/// The JSON every error response carries: `{"error": {"status": 404, "code": "not_found", "message": "…"}}`.
struct ErrorBody: Codable {
    struct Detail: Codable { var status: Int; var code: String; var message: String }
    var error: Detail
}

func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys  // the same bytes for the same value
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// Turns every failure into a 4xx JSON error: the shop's refusals, Hummingbird's own (unknown
/// route 404, wrong method 405, body too large 413), malformed JSON (400). A storage failure
/// (SQLite busy past its timeout, a PostgreSQL error) is the only 5xx: 503, retryable.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ShopRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as ShopError {
            return Self.response(e)
        } catch let e as any HTTPResponseError {
            let status = Int(e.status.code)
            let code: String
            switch status {
            case 404: code = "not_found"
            case 405: code = "method_not_allowed"
            case 413: code = "body_too_large"
            default: code = status < 500 ? "bad_request" : "error"
            }
            let message = (e as? HTTPError)?.body ?? e.status.reasonPhrase
            return Self.response(ShopError(status < 500 ? status : 400, code, message))
        } catch let e as DecodingError {
            return Self.response(.badRequest("invalid JSON body: \(Self.describe(e))"))
        } catch let e as DatabaseError {
            context.logger.error("storage error: \(e)")
            return Self.response(ShopError(503, "unavailable", "storage busy, retry"))
        } catch let e as PSQLError where e.serverInfo?[.sqlState]?.hasPrefix("22") == true {
            // Data exceptions (a NUL byte in a text, a number out of range): the request's fault.
            return Self.response(.badRequest("\(e.serverInfo?[.message] ?? "invalid value")"))
        } catch let e as PSQLError {
            // PostgreSQL refused or failed (too many clients, a lost connection, a serialisation failure).
            context.logger.error("PostgreSQL error: \(PostgreSQLShop.describe(e))")
            return Self.response(ShopError(503, "unavailable", "storage: \(PostgreSQLShop.describe(e)); retry"))
        } catch {
            // Nothing else is expected; still answer with JSON rather than drop the connection.
            context.logger.error("unexpected error: \(error)")
            return Self.response(ShopError(400, "bad_request", "\(error)"))
        }
    }

    static func response(_ e: ShopError) -> Response {
        jsonResponse(ErrorBody(error: .init(status: e.status, code: e.code, message: e.message)),
                     status: HTTPResponse.Status(code: e.status))
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            let p = c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "" : "\(p): "
        }
        switch e {
        case .typeMismatch(_, let c): return "\(path(c))wrong type"
        case .valueNotFound(_, let c): return "\(path(c))missing value"
        case .keyNotFound(let k, let c): return "\(path(c))missing key '\(k.stringValue)'"
        case .dataCorrupted(let c): return "\(path(c))\(c.debugDescription)"
        @unknown default: return "malformed"
        }
    }
}

/// Measures each request for calibration (metrics as middleware): the whole time in the server,
/// the stages the storage and cache record, and puts the server time in `x-server-time-ns` so
/// the client can tell its HTTP hop apart.
struct StageMiddleware: RouterMiddleware {
    typealias Context = ShopRequestContext
    let recorder: StageRecorder
    static let serverTime = HTTPField.Name("x-server-time-ns")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let stages = RequestStages()
        let t0 = monotonicNanoseconds()
        var response = try await RequestStages.$current.withValue(stages) { try await next(request, context) }
        let total = monotonicNanoseconds() - t0
        if let route = stages.request {
            recorder.record(route: route, stages: stages, totalNs: total)
        }
        response.headers[Self.serverTime] = String(total)
        return response
    }
}
