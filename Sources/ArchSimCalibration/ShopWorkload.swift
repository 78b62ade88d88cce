// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend

/// The e-commerce workload the backend is driven with and the simulation is given: the request
/// types, their weights, and how keys are drawn. The same description produces the load
/// generator's requests and the calibrated scenario's `workload:` section.
public struct ShopWorkload: Sendable, Equatable {
    public struct RequestKind: Sendable, Equatable, Codable {
        public var request: ShopRequest
        public var weight: Double
        /// Request type name, as in the scenario (`view_product`, …).
        public var name: String { request.name }
        public init(_ request: ShopRequest, weight: Double) { self.request = request; self.weight = weight }
    }

    public var requests: [RequestKind]
    /// Popularity of products for views and cart additions: Zipf with this exponent.
    public var productZipf: Double
    public var catalogue: CatalogueSpec

    /// 50% product views, 20% searches, 10% cart additions, 8% logins, 7% orders, 5% payments.
    /// Orders pick products uniformly (a Zipf-hot product would sell out during a long run and
    /// turn orders into 409s the model does not have); payments pay earlier orders.
    public init(catalogue: CatalogueSpec, productZipf: Double = 0.99, requests: [RequestKind] = ShopWorkload.standardMix) {
        self.catalogue = catalogue; self.productZipf = productZipf; self.requests = requests
    }

    public static let standardMix: [RequestKind] = [
        .init(.viewProduct, weight: 50), .init(.search, weight: 20), .init(.addToCart, weight: 10),
        .init(.login, weight: 8), .init(.placeOrder, weight: 7), .init(.pay, weight: 5),
    ]

    public var totalWeight: Double { requests.reduce(0) { $0 + $1.weight } }
}
