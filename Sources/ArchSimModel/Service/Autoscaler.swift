// SPDX-License-Identifier: GPL-3.0-or-later

/// A service's autoscaler: every `interval` it compares the service's utilisation over the
/// last interval with its target and sets the number of instances to
/// ⌈serving × utilisation / target⌉, within [min, max]. New instances serve after `warmup`;
/// removed ones stop receiving requests at once and finish what they hold. It never drains
/// while instances are still starting.
package struct Autoscaler {
    /// What to do now.
    package enum Decision: Equatable {
        case hold
        /// Start this many more instances.
        case start(Int)
        /// Drain this many serving instances (the highest-numbered).
        case drain(Int)
    }

    package let policy: Autoscale
    /// Workers per instance.
    package let workers: Int
    /// The last decision's time and busy-worker integral then.
    private var lastTime: Int64 = 0
    private var lastBusy = 0.0

    package init(policy: Autoscale, workers: Int) {
        self.policy = policy
        self.workers = workers
    }

    /// Decides at `now`, given ∫ busy workers dt since the start (ns × workers), and the
    /// instances serving and starting. Remembers `now` and `busyIntegral` for the next one.
    package mutating func decide(at now: Int64, busyIntegral: Double, serving: Int, starting: Int) -> Decision {
        let span = Double(now - lastTime)
        let busy = busyIntegral - lastBusy
        lastTime = now
        lastBusy = busyIntegral
        guard span > 0 && serving > 0 else { return .hold }
        let utilization = busy / (span * Double(serving * workers))
        let current = serving + starting
        let desired = min(policy.max, max(policy.min,
                                          Int((Double(serving) * utilization / policy.targetUtilization).rounded(.up))))
        if desired > current { return .start(desired - current) }
        if desired < current && starting == 0 { return .drain(current - desired) }
        return .hold
    }
}

/// Autoscaling at run time: the simulation asks the autoscaler and starts or drains instances.
extension Simulation {
    func autoscale(service s: Int) {
        guard autoscalers[s] != nil else { return }
        let now = events.now
        let slots = instancesOf(service: s)
        var serving = 0, starting = 0
        for i in slots {
            if instances[i].active { serving += 1 }
            if instances[i].starting { starting += 1 }
        }
        let decision = autoscalers[s]!.decide(at: now, busyIntegral: recorder.busyIntegral(service: s, until: now),
                                              serving: serving, starting: starting)
        let policy = autoscalers[s]!.policy
        switch decision {
        case .hold: break
        case .start(var n):
            for i in slots where n > 0 && instances[i].canStart {
                instances[i].startUp()
                events.schedule(after: policy.warmup, EventKind.instanceReady.payload(i))
                n -= 1
            }
        case .drain(var n):
            for i in slots.reversed() where n > 0 && instances[i].active {
                instances[i].drain()
                recorder.instancesChanged(service: s, by: -1, workers: autoscalers[s]!.workers, at: now)
                n -= 1
            }
        }
        events.schedule(after: policy.interval, EventKind.autoscale.payload(s))
    }

    func instanceReady(_ i: Int) {
        instances[i].becomeReady()
        let s = Int(instances[i].service)
        recorder.instancesChanged(service: s, by: 1, workers: autoscalers[s]!.workers, at: events.now)
    }
}
