// SPDX-License-Identifier: GPL-3.0-or-later

/// A circuit breaker guarding one call step (shared by all instances of the calling service).
///
/// Closed: calls pass; outcomes are counted in a rolling window of 10 buckets. When at least
/// `minimumCalls` fell in the window and the error fraction reaches `errorRate`, it opens: calls
/// fail at once for `openFor`. Then it is half-open: one probe passes; its success closes the
/// breaker, its failure opens it again. O(1) per call.
package struct CircuitBreaker {
    package enum State: UInt8 { case closed, open, halfOpen }
    package static let buckets = 10

    package let policy: CircuitBreakerPolicy
    package private(set) var state = State.closed
    private var openUntil: Int64 = 0
    private var probeInFlight = false
    private var calls = [Int](repeating: 0, count: buckets)
    private var failures = [Int](repeating: 0, count: buckets)
    /// Index of the bucket (time / bucket width) the counts were last written in.
    private var currentBucket: Int64 = 0
    /// Times it opened (for the timeseries).
    package private(set) var openings = 0

    package init(policy: CircuitBreakerPolicy) { self.policy = policy }

    package var bucketWidth: Int64 { max(1, policy.window / Int64(Self.buckets)) }

    /// Whether a call may go now. A half-open breaker lets exactly one probe through.
    package mutating func allows(at now: Int64) -> Bool {
        switch state {
        case .closed: return true
        case .open:
            guard now >= openUntil else { return false }
            state = .halfOpen
            probeInFlight = true
            return true
        case .halfOpen:
            if probeInFlight { return false }
            probeInFlight = true
            return true
        }
    }

    /// The outcome of a call that was allowed.
    package mutating func record(success: Bool, at now: Int64) {
        switch state {
        case .halfOpen:
            probeInFlight = false
            if success { state = .closed; clear(at: now) } else { open(at: now) }
        case .open:
            break // an answer to a call made before it opened
        case .closed:
            advance(to: now)
            let b = Int(currentBucket % Int64(Self.buckets))
            calls[b] += 1
            if !success { failures[b] += 1 }
            let total = calls.reduce(0, +)
            if total >= policy.minimumCalls && Double(failures.reduce(0, +)) >= policy.errorRate * Double(total) {
                open(at: now)
            }
        }
    }

    private mutating func open(at now: Int64) {
        state = .open
        openUntil = now + policy.openFor
        openings += 1
        clear(at: now)
    }

    private mutating func clear(at now: Int64) {
        for i in 0..<Self.buckets { calls[i] = 0; failures[i] = 0 }
        currentBucket = now / bucketWidth
    }

    /// Zeroes the buckets that the window slid past since the last write.
    private mutating func advance(to now: Int64) {
        let bucket = now / bucketWidth
        let stale = min(Int64(Self.buckets), bucket - currentBucket)
        if stale > 0 {
            for k in 1...stale {
                let i = Int((currentBucket + k) % Int64(Self.buckets))
                calls[i] = 0; failures[i] = 0
            }
        }
        currentBucket = bucket
    }
}
