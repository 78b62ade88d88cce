// SPDX-License-Identifier: GPL-3.0-or-later

/// A growable array of plain values (no references inside) whose elements are read and changed
/// in place through a pointer: no copy-on-write check, no exclusivity check per access. The
/// event loop's tasks and requests live here; measured: ~8% of an M/M/1 run went to `Array`'s
/// uniqueness checks on them.
///
/// The owner calls ``deallocate()`` once, when it is done (the simulation's `deinit`).
struct SlotArray<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 1024) {
        precondition(_isPOD(Element.self), "SlotArray holds plain values only")
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    /// Element `i` (0 ≤ i < count), changed in place. O(1).
    @inline(__always) subscript(i: Int) -> Element {
        unsafeAddress { UnsafePointer(base + i) }
        nonmutating unsafeMutableAddress { base + i }
    }

    var indices: Range<Int> { 0..<count }

    /// Adds an element; doubles the storage when full (amortised O(1)).
    mutating func append(_ element: Element) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    func deallocate() { base.deallocate() }
}
