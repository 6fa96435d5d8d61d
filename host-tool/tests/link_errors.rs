//! Timeouts, corrupted and malformed replies, retries.
mod common;
use common::{model, run};
use ftctl::client::Client;
use ftctl::error::Error;
use ftctl::transport::LinkFault;
use ftio_proto::{crc16, Response, Status};
use std::time::Duration;

fn client(t: &mut ftctl::transport::ModelTransport, retries: u32) -> Client<&mut ftctl::transport::ModelTransport> {
    Client::new(t, Duration::from_millis(20), retries)
}

#[test]
fn clean_link_one_request_per_read() {
    let mut t = model();
    let mut c = client(&mut t, 3);
    assert_eq!(c.read(0, 1).unwrap(), vec![ftio_proto::ID_VALUE]);
    assert_eq!(c.stats.sent, 1);
}

#[test]
fn each_kind_of_damage_is_retried_then_succeeds() {
    let faults = [
        LinkFault::LoseRequest,
        LinkFault::LoseReply,
        LinkFault::FlipReplyByte(1),
        LinkFault::FlipReplyByte(4),
        LinkFault::FlipReplyByte(8),
        LinkFault::TruncateReply(6),
        LinkFault::FlipRequestByte(5),
        LinkFault::ReplaceReply(vec![0x5A]),
        LinkFault::ReplaceReply(vec![0x00; 40]),
    ];
    for f in faults {
        let mut t = model();
        t.fault(f.clone());
        let mut c = client(&mut t, 3);
        assert_eq!(c.read(0, 2).unwrap(), vec![ftio_proto::ID_VALUE, ftio_proto::VERSION_VALUE], "{f:?}");
        assert_eq!(c.stats.sent, 2, "{f:?}: one retry");
    }
}

#[test]
fn garbage_before_a_good_reply_is_skipped_without_a_retry() {
    let mut t = model();
    t.fault(LinkFault::GarbageBefore(vec![0x00, 0xFF, 0x13, 0x5A, 0x00]));
    let mut c = client(&mut t, 0);
    assert_eq!(c.read(2, 1).unwrap(), vec![0]);
    assert_eq!(c.stats.sent, 1);
}

#[test]
fn a_write_whose_reply_was_lost_is_retried_and_lands_once() {
    let mut t = model();
    t.fault(LinkFault::LoseReply);
    let mut c = client(&mut t, 1);
    c.write(2, &[0xABCD]).unwrap();
    assert_eq!(c.stats.sent, 2);
    assert_eq!(t.model.get("SCRATCH"), 0xABCD);
}

#[test]
fn timeouts_give_up_after_the_retries() {
    let mut t = model();
    for _ in 0..4 {
        t.fault(LinkFault::LoseReply);
    }
    let mut c = client(&mut t, 3);
    let e = c.read(0, 1).unwrap_err();
    assert!(matches!(e, Error::Timeout { attempts: 4, .. }), "{e:?}");
    assert_eq!(c.stats.sent, 4);
    assert_eq!(c.stats.timeouts, 4);
    assert_eq!(e.exit_code(), 3);
    assert_eq!(
        e.to_string(),
        "no reply from the register model after 4 attempt(s) of 20 ms: check the port, --baud and that the board is configured"
    );
}

#[test]
fn corruption_gives_up_after_the_retries() {
    let mut t = model();
    for _ in 0..3 {
        t.fault(LinkFault::FlipReplyByte(3));
    }
    let mut c = client(&mut t, 2);
    let e = c.read(0, 1).unwrap_err();
    assert!(matches!(e, Error::Corrupt { attempts: 3, .. }), "{e:?}");
    assert!(e.to_string().contains("bad CRC"), "{e}");
}

#[test]
fn core_reporting_bad_crc_is_retried() {
    let mut t = model();
    for _ in 0..2 {
        t.fault(LinkFault::FlipRequestByte(3));
    }
    let mut c = client(&mut t, 2);
    assert_eq!(c.read(2, 1).unwrap(), vec![0]);
    assert_eq!(c.stats.core_saw_bad_crc, 2);
    let mut t = model();
    for _ in 0..2 {
        t.fault(LinkFault::FlipRequestByte(3));
    }
    let e = client(&mut t, 1).read(2, 1).unwrap_err();
    assert!(e.to_string().contains("status 0x01"), "{e}");
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = vec![0x5A];
    f.extend_from_slice(body);
    let c = crc16(body);
    f.extend_from_slice(&c.to_be_bytes());
    f
}

#[test]
fn well_framed_but_wrong_replies_are_rejected() {
    // A good CRC around a reply of the wrong shape: count mismatch, error with data, bad status.
    for bad in [
        frame(&[0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2]), // 2 words for a read of 1
        frame(&[0x03, 0x01]),                         // error status with count 1
        frame(&[0x09, 0x00]),                         // unknown status
    ] {
        let mut t = model();
        t.fault(LinkFault::ReplaceReply(bad.clone()));
        let mut c = client(&mut t, 1);
        assert_eq!(c.read(2, 1).unwrap(), vec![0], "{bad:02X?}");
        assert_eq!(c.stats.sent, 2, "{bad:02X?}");
        assert!(c.stats.corrupt + c.stats.timeouts >= 1);
    }
}

#[test]
fn late_reply_from_an_earlier_attempt_is_discarded() {
    // Attempt 1's reply arrives only after attempt 2 was sent; it must not be taken as the
    // reply to a later request.
    let mut t = model();
    t.fault(LinkFault::TruncateReply(0));
    let mut c = client(&mut t, 2);
    c.write(2, &[5]).unwrap();
    assert_eq!(c.read(2, 1).unwrap(), vec![5]);
}

#[test]
fn commands_report_link_failures_as_one_line_exit_3() {
    let mut t = model();
    for _ in 0..4 {
        t.fault(LinkFault::LoseRequest);
    }
    let r = run(&mut t, &["--timeout", "10", "status"]);
    assert_eq!(r.code, 3);
    assert_eq!(r.err.lines().count(), 1, "{}", r.err);
    assert!(r.err.starts_with("ftctl: no reply from"), "{}", r.err);
    let mut t = model();
    t.fault(LinkFault::LoseReply);
    let r = run(&mut t, &["--retries", "0", "info"]);
    assert_eq!(r.code, 3);
    assert!(r.err.contains("after 1 attempt(s)"));
    let _ = Response::error(Status::Ok);
}
