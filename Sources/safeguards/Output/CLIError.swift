import ArgumentParser

/// A runtime failure of a command (a file it cannot read, a config it refuses, a node that cannot
/// start or be reached): printed as `error: <message>` without the usage text, which only helps
/// with mistakes in the command line itself, and ending the process with `exitCode`.
struct CLIError: Error, CustomStringConvertible {
    let message: String
    let exitCode: ExitCode

    init(_ message: String, exitCode: ExitCode = .failure) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}

/// The exit codes a command can end with, beyond 0 (success).
enum CLIExitCode {
    /// The node refused the request, could not be reached, or a file or config is unusable.
    static let failure = ExitCode(1)
    /// `federation request` / `federation return`: the giver rejected it; nothing moved.
    static let rejected = ExitCode(3)
    /// `federation request` / `federation return`: no answer from the giver yet; the node keeps
    /// asking with the same transaction id, and `federation show ID` tells the outcome later.
    static let pending = ExitCode(4)
}
