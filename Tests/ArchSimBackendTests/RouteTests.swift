// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import Foundation
import XCTest

/// Each shop route serves one ``ShopRequest`` and its times are recorded under it; the
/// operator's routes are not recorded.
final class RouteTests: XCTestCase {
    func testStagesAreRecordedUnderTheRequestServed() async throws {
        try await withBackend("routes") { backend, client in
            backend.stages.start()
            _ = try await client.get("/products/5")
            _ = try await client.get("/products?q=a&limit=3")
            _ = try await client.post("/login", ["email": Catalogue.email(ofUser: 3), "password": Catalogue.password(ofUser: 3)])
            _ = try await client.post("/cart/items", ["user_id": 3, "product_id": 5, "quantity": 1])
            _ = try await client.get("/cart?user_id=3")
            _ = try await client.get("/health")
            _ = try await client.get("/cache")
            backend.stages.stop()
            let computed = backend.stages.snapshot().filter { $0.key.stage == .compute }.map(\.key.route)
            XCTAssertEqual(computed, [.addToCart, .login, .search, .viewCart, .viewProduct])
            XCTAssertEqual(backend.stages.hitRatios().map(\.route), [.viewProduct])
        }
    }

    func testRequestNames() {
        XCTAssertEqual(ShopRequest.allCases.map(\.name),
                       ["view_product", "search", "add_to_cart", "login", "place_order", "pay", "view_cart", "view_order"])
    }
}
