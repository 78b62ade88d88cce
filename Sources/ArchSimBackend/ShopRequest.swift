// SPDX-License-Identifier: GPL-3.0-or-later

/// What a shopper asks the shop for: the request types of the e-commerce workload, in the
/// article's words. The one definition of their names: the backend tags each route with one
/// (its stage times are recorded under it), the load generator sends them, calibration writes
/// them as the scenario's request types and operations, and validation finds them there.
public enum ShopRequest: String, Sendable, CaseIterable, Codable, Comparable {
    /// `GET /products/{id}`: a product page, served from the cache or a replica.
    case viewProduct = "view_product"
    /// `GET /products?q=…`: a prefix search over product names.
    case search
    /// `POST /cart/items`: a cart addition (a write).
    case addToCart = "add_to_cart"
    /// `POST /login`: a password check and a session write.
    case login
    /// `POST /orders`: an order, stock taken in one transaction; invalidates the cached products.
    case placeOrder = "place_order"
    /// `POST /payments`: payment of an earlier order.
    case pay
    /// `GET /cart`: the cart's contents (not in the calibration workload).
    case viewCart = "view_cart"
    /// `GET /orders/{id}`: an order (not in the calibration workload).
    case viewOrder = "view_order"

    /// The request type's name in scenarios and result rows (`view_product`).
    public var name: String { rawValue }

    public static func < (a: ShopRequest, b: ShopRequest) -> Bool { a.rawValue < b.rawValue }
}
