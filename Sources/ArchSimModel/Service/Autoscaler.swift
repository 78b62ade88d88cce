// SPDX-License-Identifier: GPL-3.0-or-later

/// Autoscaling: every `interval` the autoscaler compares the service's utilisation over the
/// last interval with its target and sets the number of instances to
/// ⌈active × utilisation / target⌉, within [min, max]. New instances serve after `warmup`;
/// removed ones stop receiving requests at once and finish what they hold.
extension Simulation {
    func autoscale(service s: Int) {
        guard let policy = scenario.architecture.services[s].autoscale else { return }
        let now = events.now
        let first = firstInstance[s], slots = balancers[s].count
        let workers = scenario.architecture.services[s].workers
        let busy = recorder.services[s].busySinceStart.integral(until: now)
        let previous = autoscaleState[s]
        autoscaleState[s] = (now, busy)
        let serving = (first..<first + slots).filter { instances[$0].active }
        let starting = (first..<first + slots).filter { instances[$0].starting }
        let span = Double(now - previous.time)
        if span > 0 && !serving.isEmpty {
            let utilization = (busy - previous.busy) / (span * Double(serving.count * workers))
            let current = serving.count + starting.count
            let desired = min(policy.max, max(policy.min, Int((Double(serving.count) * utilization / policy.targetUtilization).rounded(.up))))
            if desired > current {
                var toStart = desired - current
                for i in first..<first + slots where toStart > 0 && !instances[i].active && !instances[i].starting && instances[i].open == 0 {
                    instances[i].starting = true
                    events.schedule(after: policy.warmup, EventKind.instanceReady.payload(i))
                    toStart -= 1
                }
            } else if desired < current && starting.isEmpty {
                // Drain the highest-numbered serving instances.
                for i in serving.suffix(current - desired) {
                    instances[i].active = false
                    instances[i].balancerSendsTo = false
                    recorder.instancesChanged(service: s, by: -1, workers: workers, at: now)
                }
            }
        }
        events.schedule(after: policy.interval, EventKind.autoscale.payload(s))
    }

    func instanceReady(_ i: Int) {
        instances[i].starting = false
        instances[i].active = true
        instances[i].balancerSendsTo = !instances[i].down
        let s = Int(instances[i].service)
        recorder.instancesChanged(service: s, by: 1, workers: scenario.architecture.services[s].workers, at: events.now)
    }
}
