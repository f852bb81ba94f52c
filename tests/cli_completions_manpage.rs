//! `ecs-ledger completions SHELL` and `ecs-ledger manpage [SUBCOMMAND]`:
//! generated from the CLI definition, printed on stdout.

mod common;

use std::process::Command;

use common::cli::BIN;

/// (exit code, stdout, stderr) of `ecs-ledger ARGS...`.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn completions_cover_every_subcommand_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _ecs__ledger"),
        ("zsh", "#compdef ecs-ledger"),
        ("fish", "complete -c ecs-ledger"),
        ("elvish", "edit:completion:arg-completer[ecs-ledger]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let (code, script, stderr) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(script.contains(marker), "{shell}:\n{script}");
        for sub in ["exec", "serve", "verify", "completions", "manpage"] {
            assert!(script.contains(sub), "{shell} lacks {sub}");
        }
        assert!(
            script.contains("access-keys"),
            "{shell} lacks serve's options"
        );
    }
}

#[test]
fn the_bash_completion_script_is_valid_bash() {
    let (_, script, _) = run(&["completions", "bash"]);
    let checked = Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(script.as_bytes())?;
            child.wait()
        })
        .unwrap();
    assert!(checked.success());
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let (code, out, stderr) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(stderr.contains("tcsh"), "{stderr}");
}

#[test]
fn the_man_page_is_roff_for_section_1_with_every_subcommand() {
    let (code, page, stderr) = run(&["manpage"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(page.contains(".TH ecs-ledger 1"), "{page}");
    assert!(page.contains(".SH SYNOPSIS"));
    assert!(page.contains(&format!("ecs-ledger {}", env!("CARGO_PKG_VERSION"))));
    for sub in [
        "ecs\\-ledger\\-exec(1)",
        "ecs\\-ledger\\-serve(1)",
        "ecs\\-ledger\\-manpage(1)",
    ] {
        assert!(page.contains(sub), "no {sub} in\n{page}");
    }
}

#[test]
fn a_subcommand_has_a_page_of_its_own_with_its_options_and_the_global_ones() {
    let (code, page, stderr) = run(&["manpage", "serve"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(page.contains(".TH ecs-ledger-serve 1"), "{page}");
    assert!(page.contains("access\\-keys"), "{page}");
    assert!(
        page.contains("\\-\\-data"),
        "global options missing:\n{page}"
    );
    let (code, out, stderr) = run(&["manpage", "nope"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(stderr.contains("no subcommand \"nope\""), "{stderr}");
}
