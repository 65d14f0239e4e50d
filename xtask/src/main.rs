//! `cargo xtask`: the project's commands. Argument parsing only; the work is in the library.

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--check] [--spec PATH] [--imported PATH | --no-imported] [--out DIR] [--cli-out DIR]
      regenerate generated/ from spec/halopsa.json and its imported tier spec/imported.json, and
      cli/src/generated/ from spec/halopsa.json (--check: write nothing, fail if stale; --out: a scratch crate
      only, unless --cli-out names where the command line's part goes)
  import [--from SWAGGER] [--resource NAME ...] [--spec PATH] [--all] [--dry-run]
      update the curated spec from a Halo swagger document (default: spec/upstream/halo-swagger-2025-03.json),
      then rewrite the imported tier; --resource NAME of the tier promotes it to the curated spec
  import --tier [--check]
      rewrite spec/imported.json (the resources the curated spec lacks) from the curated spec and the swagger
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
