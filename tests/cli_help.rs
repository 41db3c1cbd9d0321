//! Every option in every subcommand's `--help` says what it does: a walk
//! over clap's command tree that names each argument without a description.

use baohao::cli::Cli;
use clap::CommandFactory;

fn undescribed(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
    for a in cmd.get_arguments() {
        if a.is_hide_set() {
            continue;
        }
        let id = a.get_id().as_str();
        if matches!(id, "help" | "version") {
            continue;
        }
        let said = a
            .get_help()
            .or(a.get_long_help())
            .is_some_and(|h| !h.to_string().trim().is_empty());
        if !said {
            out.push(format!("{path} {id}"));
        }
    }
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let p = format!("{path} {}", sub.get_name());
        let about = sub
            .get_about()
            .or(sub.get_long_about())
            .is_some_and(|h| !h.to_string().trim().is_empty());
        if !about {
            out.push(format!("{p} (the command itself)"));
        }
        undescribed(sub, &p, out);
    }
}

#[test]
fn every_option_and_subcommand_has_a_description() {
    let mut cmd = Cli::command();
    cmd.build();
    let mut missing = Vec::new();
    undescribed(&cmd, "baohao", &mut missing);
    assert!(missing.is_empty(), "no help text: {missing:#?}");
}

#[test]
fn the_walk_sees_nested_subcommands_and_their_options() {
    // The check above is only as good as its walk: it must reach `import --json` and a
    // subcommand's own subcommand.
    let mut cmd = Cli::command();
    cmd.build();
    let import = cmd.find_subcommand("import").expect("import");
    assert!(import.get_arguments().any(|a| a.get_id() == "json"));
    assert!(
        cmd.get_subcommands()
            .any(|s| s.get_subcommands().next().is_some()),
        "some subcommand has its own"
    );
}
