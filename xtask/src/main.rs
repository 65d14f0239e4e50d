//! `cargo xtask`: the project's commands. Argument parsing only; the work is in the library.

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--check] [--spec PATH] [--out DIR] [--cli-out DIR]
      regenerate generated/ and cli/src/generated/ from spec/halopsa.json (--check: write nothing, fail if
      stale; --out: a scratch crate only, unless --cli-out names where the command line's part goes)
  import --from SWAGGER [--resource NAME ...] [--spec PATH] [--all]
      update the curated spec from a Halo swagger document
  api-diff OLD NEW [--changelog]
      report API changes between two specs (files, or git revisions as REV:spec/halopsa.json)
  full-api [--from SWAGGER] [--out DIR] [--no-build]
      import every resource of Halo's swagger into a scratch spec, generate, and cargo check it
  check-fixtures [--no-build]
      generate every tests/fixtures/*.json into a scratch workspace and cargo check it, warnings denied
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let result = match command.as_str() {
        "codegen" => xtask::codegen::main(rest),
        "import" => xtask::import::main(rest),
        "api-diff" => xtask::api_diff::main(rest),
        "full-api" => xtask::full_api::main(rest),
        "check-fixtures" => xtask::check_fixtures::main(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
