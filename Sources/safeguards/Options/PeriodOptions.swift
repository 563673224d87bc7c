import ArgumentParser

/// `--period` and `--timezone`: an agent's or a pool's budget period.
struct PeriodOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Budget period: a duration (1h, 1d, 30d) or daily, weekly, monthly; none removes it (set-budget).",
            valueName: "period"))
    var period: String?

    @Option(help: ArgumentHelp("IANA time zone of a calendar period (default UTC).", valueName: "zone"))
    var timezone: String?
}
