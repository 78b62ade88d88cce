// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimKernel
import ArchSimModel

/// The sparse key map against a reference (Swift's Dictionary, used here only for lookups).
final class SparseKeyMapTests: XCTestCase {
    func testMatchesADictionaryUnderRandomOperations() {
        var map = SparseKeyMap()
        var reference: [UInt64: Int64] = [:]
        let streams = RandomStreams(seed: 7)   // owns the stream: keep it alive
        let stream = streams.stream("ops")
        for step in 0..<200_000 {
            // Keys from two spaces, some ids huge: clustering and wrap-around both happen.
            let space = stream.index(below: 2)
            let id = stream.index(below: 3) == 0 ? 1 << 39 + stream.index(below: 500) : stream.index(below: 2000)
            let key = KeyId.make(space: space, id: id)
            switch stream.index(below: 3) {
            case 0, 1:
                map.set(key, Int64(step))
                reference[key] = Int64(step)
            default:
                XCTAssertEqual(map.remove(key), reference.removeValue(forKey: key))
            }
            if step % 1000 == 0 {
                XCTAssertEqual(map.count, reference.count)
            }
        }
        for (key, value) in reference { XCTAssertEqual(map[key], value) }
        XCTAssertEqual(map.count, reference.count)
        map.updateValues { min($0, 100_000) }
        for (key, value) in reference { XCTAssertEqual(map[key], min(value, 100_000)) }
        map.removeAll()
        XCTAssertEqual(map.count, 0)
        XCTAssertNil(map[KeyId.make(space: 0, id: 1)])
    }

    /// Memory follows the keys stored: 50,000 keys of a 10^8-key space take 2^17 slots.
    func testMemoryFollowsKeysStored() {
        var map = SparseKeyMap()
        for i in 0..<50_000 { map.set(KeyId.make(space: 0, id: i * 2000), 1) }
        XCTAssertEqual(map.count, 50_000)
        XCTAssertEqual(map.slots, 1 << 17)
    }
}
