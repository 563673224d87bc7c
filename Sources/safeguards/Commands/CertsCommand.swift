import ArgumentParser
import Foundation
import SafeguardsCore
import SafeguardsFederation

/// `safeguards certs init-ca|issue|api`: makes a federation's identities and the API's HTTPS
/// certificate with swift-certificates and swift-crypto (no openssl needed).
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs", abstract: "Make a federation CA, node certificates and signing keys.",
        discussion: """
            A federation trusts one CA. `init-ca` creates it (ca.pem, ca.key); `issue` gives a system \
            its TLS certificate and key (<id>.pem, <id>.key) signed by that CA, and its Ed25519 \
            message-signing key (<id>.signing.key, <id>.signing.pub). Private keys are written with \
            mode 0600. Existing files are never replaced without --force.
            """,
        subcommands: [InitCA.self, Issue.self, API.self])

    /// `safeguards certs init-ca [--dir Certs] [--name N] [--days 3650] [--valid-from DATE] [--force]`
    struct InitCA: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init-ca", abstract: "Create a federation CA: ca.pem and ca.key.")

        @OptionGroup var files: CertificateFileOptions

        @Option(
            help: """
                The CA's subject common name. Nodes warn loudly when they trust a CA named like the \
                development CA ('\(CertificateAuthority.developmentName)'), so give yours another name.
                """)
        var name = "Safeguards federation CA"

        @Option(help: "How many days the CA stays valid.")
        var days = 3650

        func validate() throws {
            try CertificateFileOptions.validate(days: days)
            _ = try files.validity(days: days, now: Date())
            guard !name.isEmpty else { throw ValidationError("--name: the CA needs a name") }
        }

        func run() throws {
            let (notBefore, notAfter) = try files.validity(days: days, now: Date())
            var generator = SystemRandomNumberGenerator()
            let issued = try files.attempt { directory throws(IdentityError) in
                try directory.initAuthority(
                    name: name, notBefore: notBefore, notAfter: notAfter, overwrite: files.force,
                    using: &generator)
            }
            CertificateFileOptions.report(issued)
        }
    }

    /// `safeguards certs issue --system-id X [--dir Certs] [--days 825] [--valid-from DATE] [--force]`
    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a system's certificate and signing key with the CA in --dir.",
            discussion: """
                Writes <id>.pem and <id>.key (the TLS identity, signed by ca.pem/ca.key in --dir) and \
                <id>.signing.key and <id>.signing.pub (the Ed25519 key its messages are signed with; \
                peers pin the public one). A certificate cannot outlive its CA: a longer --days is cut \
                to the CA's end of validity.
                """)

        @OptionGroup var files: CertificateFileOptions

        @Option(help: "The system id the certificate names (subject common name and DNS SAN).")
        var systemID: String

        @Option(help: "How many days the certificate stays valid.")
        var days = 825

        func validate() throws {
            try CertificateFileOptions.validate(days: days)
            _ = try files.validity(days: days, now: Date())
            _ = try parsedSystemID()
        }

        func run() throws {
            let systemID = try parsedSystemID()
            let (notBefore, notAfter) = try files.validity(days: days, now: Date())
            var generator = SystemRandomNumberGenerator()
            let authorityPath = CertificateDirectory(path: files.directory).authorityCertificatePath
            guard IdentityFiles.exists(authorityPath) else {
                Console.error(
                    "error: no federation CA in \(files.directory) (\(authorityPath) does not exist); "
                        + "make one with: safeguards certs init-ca --dir \(files.directory)")
                throw ExitCode(1)
            }
            let issued = try files.attempt { directory throws(IdentityError) in
                try directory.issueNode(
                    systemID, notBefore: notBefore, notAfter: notAfter, overwrite: files.force, using: &generator)
            }
            CertificateFileOptions.report(issued)
            if let key = issued.signingPublicKey {
                print("peers pin this signing key as public_key: \(key)")
            }
        }

        private func parsedSystemID() throws(ValidationError) -> SystemID {
            do {
                return try SystemID(systemID)
            } catch {
                throw ValidationError("--system-id: \(error.description)")
            }
        }
    }
}

extension CertsCommand {
    /// `safeguards certs api [--name api] [--host localhost] [--ip 127.0.0.1] [--dir Certs] [--days 825]`
    struct API: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "api", abstract: "Issue an HTTPS certificate for a node's API with the CA in --dir.",
            discussion: """
                Writes <name>.pem and <name>.key (api.tls.certificate and api.tls.private_key), signed by \
                ca.pem/ca.key in --dir, naming each --host as a DNS and each --ip as an IP subject \
                alternative name: clients check the host they dial against these. Clients then trust \
                ca.pem (--ca); the same CA can be api.tls.client_ca, and `certs issue` makes client \
                certificates for it.
                """)

        @OptionGroup var files: CertificateFileOptions

        @Option(help: "The file name (without .pem/.key) and the certificate's common name.")
        var name = "api"

        @Option(help: "A DNS name clients reach the API by (repeat for more).")
        var host: [String] = []

        @Option(help: "An IP address clients reach the API by (repeat for more).")
        var ip: [String] = []

        @Option(help: "How many days the certificate stays valid.")
        var days = 825

        func validate() throws {
            try CertificateFileOptions.validate(days: days)
            _ = try files.validity(days: days, now: Date())
            guard name.range(of: #"^[A-Za-z0-9_.-]{1,64}$"#, options: .regularExpression) != nil else {
                throw ValidationError("--name: use 1-64 characters of A-Z a-z 0-9 _ . -")
            }
            guard !host.isEmpty || !ip.isEmpty else { throw ValidationError("give at least one --host or --ip") }
        }

        func run() throws {
            let (notBefore, notAfter) = try files.validity(days: days, now: Date())
            var generator = SystemRandomNumberGenerator()
            let issued = try files.attempt { directory throws(IdentityError) in
                try directory.issueServer(
                    name: name, hosts: host, ipAddresses: ip, notBefore: notBefore, notAfter: notAfter,
                    overwrite: files.force, using: &generator)
            }
            CertificateFileOptions.report(issued)
        }
    }
}

/// The options every `certs` subcommand shares, and what they do with them.
struct CertificateFileOptions: ParsableArguments {
    @Option(name: .customLong("dir"), help: "The folder of certificate files (relative to the working folder).")
    var directory = "Certs"

    @Flag(help: "Replace files that already exist.")
    var force = false

    @Option(
        help: ArgumentHelp(
            "Start of validity, an ISO 8601 date (2025-01-01) or date-time in UTC (default: an hour ago).",
            valueName: "date"))
    var validFrom: String?

    /// The validity period: from `--valid-from` (else an hour before `now`, so that a peer whose
    /// clock runs a little behind does not see a brand-new certificate as not yet valid) until
    /// `days` days after `now`.
    func validity(days: Int, now: Date) throws(ValidationError) -> (notBefore: Date, notAfter: Date) {
        let notAfter = now.addingTimeInterval(Double(days) * 86_400)
        guard let validFrom else { return (now.addingTimeInterval(-3600), notAfter) }
        let dateTime = ISO8601DateFormatter()
        let date = ISO8601DateFormatter()
        date.formatOptions = [.withFullDate]
        guard let start = dateTime.date(from: validFrom) ?? date.date(from: validFrom) else {
            throw ValidationError("--valid-from: '\(validFrom.prefix(40))' is not an ISO 8601 date or date-time")
        }
        guard start < notAfter else { throw ValidationError("--valid-from: must be before the end of validity") }
        return (start, notAfter)
    }

    /// Runs `make` on the folder; an ``IdentityError`` is printed as one line and exits 1.
    func attempt(
        _ make: (CertificateDirectory) throws(IdentityError) -> CertificateDirectory.Issued
    ) throws -> CertificateDirectory.Issued {
        do {
            return try make(CertificateDirectory(path: directory))
        } catch {
            let hint = error.code == .fileExists ? " (use --force to replace)" : ""
            Console.error("error: \(error)\(hint)")
            throw ExitCode(1)
        }
    }

    /// Refuses a validity that is not 1 day to 100 years.
    static func validate(days: Int) throws(ValidationError) {
        guard (1...36_500).contains(days) else { throw ValidationError("--days: use 1 to 36500") }
    }

    /// Prints each file written and the certificate's subject, serial and validity.
    static func report(_ issued: CertificateDirectory.Issued) {
        let width = issued.files.map(\.path.count).max() ?? 0
        for file in issued.files {
            let padding = String(repeating: " ", count: width - file.path.count)
            print("wrote \(file.path)\(padding)  \(file.contents)\(file.ownerOnly ? " (mode 0600)" : "")")
        }
        let format = ISO8601DateFormatter()
        print(
            "\(issued.subject), serial \(issued.serialNumber), valid \(format.string(from: issued.notBefore)) "
                + "to \(format.string(from: issued.notAfter))")
    }
}
