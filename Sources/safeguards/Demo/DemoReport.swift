import SafeguardsAPI

/// The demo's printed report: numbered steps, one line per outcome, and tables. Written to
/// stdout as the scenario goes, so a failure shows how far it got.
final class DemoReport {
    private(set) var stepCount = 0
    /// The title of the step in progress, for the failure message.
    private(set) var currentStep: String?

    /// Starts the next numbered step.
    func step(_ title: String) {
        stepCount += 1
        currentStep = title
        print("\n\(stepCount). \(title)")
    }

    /// An outcome that went as expected.
    func ok(_ line: String) {
        print("   ✓ " + line)
    }

    /// Context that is neither a check nor a step.
    func note(_ line: String) {
        print("   " + line)
    }

    /// A table under the current step.
    func table(_ table: TextTable) {
        print(table.render(indent: 5))
    }

    /// A heading outside the numbered steps.
    func heading(_ line: String) {
        print(line)
    }

    /// Says which step failed and why, on stdout with the rest of the report.
    func failed(_ error: any Error) {
        let reason: String
        switch error {
        case let error as APIClientError:
            if case .problem(let problem) = error {
                reason = "the node refused unexpectedly: \(problem.code): \(problem.detail)"
            } else {
                reason = error.description
            }
        default:
            reason = "\(error)"
        }
        if let currentStep {
            print("   ✗ step \(stepCount) (\(currentStep)) failed: \(reason)")
        } else {
            print("✗ the demo failed before its first step: \(reason)")
        }
    }
}

/// An outcome of the demo scenario that was not what the scenario expects.
struct DemoFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Throws ``DemoFailure`` with `message` unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws(DemoFailure) {
    guard condition else { throw DemoFailure(message()) }
}

/// Runs a call that the node must refuse with the problem code `code`, and returns the problem.
///
/// - Throws: ``DemoFailure`` when the call succeeds, or the call's own error when it fails otherwise.
func expectRefusal<Value>(
    _ code: String, _ call: () async throws(APIClientError) -> Value
) async throws -> ProblemBody {
    do throws(APIClientError) {
        _ = try await call()
    } catch {
        if case .problem(let problem) = error, problem.code == code { return problem }
        throw error
    }
    throw DemoFailure("expected the node to refuse with \(code), but it accepted")
}
