// SPDX-License-Identifier: GPL-3.0-or-later

/// A request the shop refuses, with the HTTP status it maps to. Never a 5xx: these are the
/// client's mistakes or the shop's business rules.
public struct ShopError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    /// Machine-readable: `bad_request`, `not_found`, `insufficient_stock`, `conflict`, ….
    public var code: String
    public var message: String

    public init(_ status: Int, _ code: String, _ message: String) {
        self.status = status; self.code = code; self.message = message
    }
    public var description: String { "\(status) \(code): \(message)" }

    static func badRequest(_ m: String) -> ShopError { ShopError(400, "bad_request", m) }
    static func notFound(_ m: String) -> ShopError { ShopError(404, "not_found", m) }
    static func insufficientStock(product: Int64, available: Int64, requested: Int64) -> ShopError {
        ShopError(409, "insufficient_stock", "product \(product): \(available) in stock, \(requested) requested")
    }
    static func conflict(_ m: String) -> ShopError { ShopError(409, "conflict", m) }
    static func unprocessable(_ m: String) -> ShopError { ShopError(422, "unprocessable", m) }
    static func unauthorized(_ m: String) -> ShopError { ShopError(401, "unauthorized", m) }
}

/// The backend cannot start as configured (its directory holds another catalogue, say).
public struct BackendSetupError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
