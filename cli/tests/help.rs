//! Snapshots of `halo --help` for a few commands: what a spec change does to the command line shows in review, and a
//! stale snapshot fails (`cargo insta review`, or `INSTA_UPDATE=always cargo test -p halopsa-cli --test help`).

use std::process::Command;

fn help(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_halo")).args(args).arg("--help").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn root() {
    insta::assert_snapshot!("halo", help(&[]));
}

#[test]
fn a_resource() {
    insta::assert_snapshot!("halo_tickets", help(&["tickets"]));
}

#[test]
fn a_list_with_its_query_flags() {
    insta::assert_snapshot!("halo_tickets_list", help(&["tickets", "list"]));
}

#[test]
fn an_update_with_its_field_flags() {
    insta::assert_snapshot!("halo_agent_check_ins_update", help(&["agent-check-ins", "update"]));
}

#[test]
fn a_batch_and_a_download() {
    insta::assert_snapshot!("halo_agents_update_many", help(&["agents", "update-many"]));
    insta::assert_snapshot!("halo_attachments_download", help(&["attachments", "download"]));
}
