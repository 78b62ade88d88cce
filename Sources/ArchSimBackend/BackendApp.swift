// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The shop over HTTP/1.1 with JSON bodies, on Hummingbird 2.
///
/// One listener with route groups (`/products`, `/cart`, `/orders`, `/payments`, `/login`), not
/// one listener per service: calibration models the backend as one service tier in front of a
/// cache and a database, and all of it shares the machine's cores anyway; separate listeners
/// would add loopback hops between in-process services that a real deployment would not have
/// on one host, and that the model would then have to carry as `hop` latency.
///
/// Each shop route is registered once, with the ``ShopRequest`` it serves; the router's own
/// route list (`router.routes`) then gives the 405 answers.
public enum BackendApp {
    // MARK: Bodies

    struct LoginBody: Decodable { var email: String; var password: String }
    struct CartBody: Decodable {
        var userID: Int64; var productID: Int64; var quantity: Int64
        enum CodingKeys: String, CodingKey { case quantity; case userID = "user_id"; case productID = "product_id" }
    }
    struct OrderBody: Decodable {
        var userID: Int64; var items: [Shop.OrderLine]?; var idempotencyKey: String?
        enum CodingKeys: String, CodingKey { case items; case userID = "user_id"; case idempotencyKey = "idempotency_key" }
    }
    struct PaymentBody: Decodable {
        var orderID: Int64; var amountCents: Int64?
        enum CodingKeys: String, CodingKey { case orderID = "order_id"; case amountCents = "amount_cents" }
    }
    struct ProductList: Encodable { var products: [Catalogue.Product] }
    struct OrderReply: Encodable {
        var order: Shop.Order; var duplicate: Bool; var seq: Int64
    }
    struct ReplicaStatus: Encodable, Sendable {
        var index: Int; var appliedSeq: Int64; var behind: Int64; var lag: LagSummary
        enum CodingKeys: String, CodingKey { case index, behind, lag; case appliedSeq = "applied_seq" }
    }
    struct ReplicationStatus: Encodable, Sendable {
        var primarySeq: Int64; var replicas: [ReplicaStatus]
        enum CodingKeys: String, CodingKey { case replicas; case primarySeq = "primary_seq" }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ShopRequestContext) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxBodyBytes)
        guard buffer.readableBytes > 0 else { throw ShopError.badRequest("a JSON body is required") }
        return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    }

    static func id(_ context: ShopRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text) else {
            throw ShopError.notFound("expected a numeric id in the path")
        }
        return id
    }

    static func strong(_ request: Request) -> Bool { request.uri.queryParameters.get("consistency") == "strong" }

    // MARK: Router

    /// The router: the shop's routes by group, the operator's (`/health`, `/replication`,
    /// `/cache`), then for each path every other method answers 405.
    public static func router(shop: any ShopOperations, recorder: StageRecorder, maxBodyBytes: Int) -> Router<ShopRequestContext> {
        let router = Router(context: ShopRequestContext.self)
        router.add(middleware: BodyLimitMiddleware(maxBodyBytes: maxBodyBytes))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: StageMiddleware(recorder: recorder))

        router.group("login").on(method: .post, serving: .login) { request, context in
            let body = try await decode(LoginBody.self, request, context)
            return jsonResponse(try await shop.login(email: body.email, password: body.password))
        }
        router.group("products")
            .on(method: .get, serving: .search) { request, _ in
                let q = request.uri.queryParameters.get("q") ?? ""
                var limit = 20
                if let l = request.uri.queryParameters.get("limit") {
                    guard let n = Int(l), (1...Shop.maxSearchResults).contains(n) else {
                        throw ShopError.badRequest("limit: expected 1...\(Shop.maxSearchResults)")
                    }
                    limit = n
                }
                return jsonResponse(ProductList(products: try await shop.search(prefix: q, limit: limit)))
            }
            .on(":id", method: .get, serving: .viewProduct) { request, context in
                jsonResponse(try await shop.product(id: try id(context), strong: strong(request)))
            }
        router.group("cart")
            .on(method: .get, serving: .viewCart) { request, _ in
                guard let text = request.uri.queryParameters.get("user_id"), let user = Int64(text) else {
                    throw ShopError.badRequest("user_id: expected a number")
                }
                return jsonResponse(try await shop.cart(userID: user, strong: strong(request)))
            }
            .on("items", method: .post, serving: .addToCart) { request, context in
                let body = try await decode(CartBody.self, request, context)
                return jsonResponse(try await shop.addToCart(userID: body.userID, productID: body.productID, quantity: body.quantity),
                                    status: .created)
            }
        router.group("orders")
            .on(method: .post, serving: .placeOrder) { request, context in
                let body = try await decode(OrderBody.self, request, context)
                let placed = try await shop.placeOrder(userID: body.userID, lines: body.items, idempotencyKey: body.idempotencyKey)
                return jsonResponse(OrderReply(order: placed.order, duplicate: placed.duplicate, seq: placed.seq),
                                    status: placed.duplicate ? .ok : .created)
            }
            .on(":id", method: .get, serving: .viewOrder) { request, context in
                jsonResponse(try await shop.order(id: try id(context), strong: strong(request)))
            }
        router.group("payments").on(method: .post, serving: .pay) { request, context in
            let body = try await decode(PaymentBody.self, request, context)
            return jsonResponse(try await shop.pay(orderID: body.orderID, amountCents: body.amountCents), status: .created)
        }

        router.get("health") { _, _ in jsonResponse(try await shop.health()) }
        router.get("replication") { _, _ in jsonResponse(try await shop.replicationStatus()) }
        router.get("cache") { _, _ in jsonResponse(try await shop.cacheStatus()) }

        // Every path's methods, from the router itself; the others answer 405.
        var paths: [(path: RouterPath, methods: [HTTPRequest.Method])] = []
        for route in router.routes {
            if let i = paths.firstIndex(where: { $0.path.description == route.path.description }) {
                paths[i].methods.append(route.method)
            } else {
                paths.append((route.path, [route.method]))
            }
        }
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .head, .options]
        for (path, allowed) in paths.sorted(by: { $0.path.description < $1.path.description }) {
            let list = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            for m in methods where !allowed.contains(m) {
                router.on(path, method: m) { _, _ -> Response in
                    throw ShopError(405, "method_not_allowed", "\(m) is not allowed on \(path); use \(list)")
                }
            }
        }
        return router
    }
}

extension RouterMethods where Context == ShopRequestContext {
    /// Registers `handler` for `method` on `path` (relative to the group) as the route serving
    /// `request`: the stage middleware records the request's times under it.
    @discardableResult
    func on(_ path: RouterPath = "", method: HTTPRequest.Method, serving request: ShopRequest,
            use handler: @Sendable @escaping (Request, Context) async throws -> Response) -> Self {
        on(path, method: method) { (incoming: Request, context: Context) async throws -> Response in
            if let stages = RequestStages.current { stages.request = request }
            return try await handler(incoming, context)
        }
    }
}

/// Refuses a declared body over the limit before reading it (413), and sets the limit that
/// reading a body enforces when no length was declared (chunked).
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = ShopRequestContext
    let maxBodyBytes: Int
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxBodyBytes = maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodyBytes {
            return ErrorMiddleware.response(ShopError(413, "body_too_large", "body of \(length) bytes; at most \(maxBodyBytes)"))
        }
        return try await next(request, context)
    }
}
