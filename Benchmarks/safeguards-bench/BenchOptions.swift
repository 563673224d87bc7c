/// The command line: `safeguards-bench [--quick] [--only GROUP...] [--data-dir PATH] [--certs PATH]`.
struct BenchOptions: Sendable {
    var quick = false
    /// `--only GROUP` (repeatable): run just these groups of figures (see ``BenchOptions/groups``).
    var only: Set<String> = []
    /// `-h`/`--help`: print the usage and run nothing.
    var help = false
    /// Where the SQLite files of the durable figures go (default: the system's temporary folder).
    /// Durable figures measure this disk's fsync.
    var dataDirectory: String?
    /// The development federation the federation figures load (default: `Certs/` in the working
    /// folder, else the package's own `Certs/`).
    var certificatesDirectory: String?

    static let usage = """
        usage: safeguards-bench [--quick] [--only GROUP]... [--data-dir PATH] [--certs PATH]
          --quick          a short smoke run (about 10 s instead of about 60 s)
          --only GROUP     run only this group of figures (repeatable); groups: \(groups.joined(separator: ", "))
          --data-dir PATH  where the temporary SQLite files go (default: the temporary folder)
          --certs PATH     the development federation's certificates (default: ./Certs)
        """

    /// Parses the arguments after the program name; throws ``BenchFailure`` with the usage on a bad one.
    static func parse(_ arguments: [String]) throws(BenchFailure) -> BenchOptions {
        var options = BenchOptions()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--quick":
                options.quick = true
            case "--only":
                guard let group = remaining.popFirst(), groups.contains(group) else {
                    throw BenchFailure("--only needs one of: \(groups.joined(separator: ", "))\n" + usage)
                }
                options.only.insert(group)
            case "--data-dir":
                guard let path = remaining.popFirst() else { throw BenchFailure("--data-dir needs a path\n" + usage) }
                options.dataDirectory = path
            case "--certs":
                guard let path = remaining.popFirst() else { throw BenchFailure("--certs needs a path\n" + usage) }
                options.certificatesDirectory = path
            case "-h", "--help":
                options.help = true
            default:
                throw BenchFailure("unknown argument '\(argument)'\n" + usage)
            }
        }
        return options
    }

    var plan: BenchPlan { quick ? .quick : .full }

    /// The groups of figures, in the order they run.
    static let groups = ["memory", "in_memory", "durable", "http", "ping", "settle", "gossip", "learning", "quality", "reads", "handshake"]

    /// Whether the figures of `group` run.
    func runs(_ group: String) -> Bool { only.isEmpty || only.contains(group) }
}

/// The benchmark could not run, or a check failed. The process exits non-zero with this message.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
