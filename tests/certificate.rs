//! CURVE certificates on disk (czmq zcert / pyzmq zmq.auth format): saving with
//! owner-only secret files, loading, clear errors for bad files, a directory store,
//! and the `Authenticator` admitting a directory's clients and reloading it.
//! (Files written by pyzmq itself, and the reverse, are tested in `interop/`.)
//! These tests need CURVE, which every build of CI has; they fail without it.
#![forbid(unsafe_code)]

mod common;

use std::fs;
#[cfg(unix)]
use std::path::Path;
use std::time::Duration;

use common::fs::TempDir;
use zmq::{
    Authenticator, Certificate, CertificateErrorKind as Kind, CertificateStore, Context,
    MonitorEvent, MonitorEvents, RecvFlags, SendFlags,
};

fn require_curve() {
    assert!(zmq::has("curve"), "these tests need a libzmq with CURVE");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn save_and_load_round_trip_with_a_private_secret_file() {
    require_curve();
    let dir = TempDir::new("roundtrip");
    let mut cert = Certificate::new().unwrap();
    cert.set_meta("name", "server one").unwrap();
    cert.set_meta("email", "ops@example.com").unwrap();
    let public_path = dir.join("server.key");
    cert.save(&public_path).unwrap();
    let secret_path = Certificate::secret_path(&public_path);
    assert_eq!(secret_path, dir.join("server.key_secret"));
    #[cfg(unix)]
    assert_eq!(mode(&secret_path), 0o600, "secret file is owner-only");

    // The public file holds no secret, in text or once parsed.
    let public_text = fs::read_to_string(&public_path).unwrap();
    assert!(!public_text.contains(&cert.secret_z85().unwrap()));
    assert!(public_text.contains(&cert.public_z85()));
    let public = Certificate::load(&public_path).unwrap();
    assert_eq!(public.public_key(), cert.public_key());
    assert_eq!(public.secret_key(), None);
    assert_eq!(public.meta("name"), Some("server one"));
    assert_eq!(
        Certificate::load_secret(&public_path).unwrap_err().kind(),
        Kind::MissingKey
    );

    let secret = Certificate::load_secret(&secret_path).unwrap();
    assert_eq!(secret, cert);
    assert_eq!(secret.keypair().unwrap().public, *cert.public_key());
    // The files are the format's, section by section: czmq's readers find
    // /curve/public-key and /curve/secret-key, pyzmq's the key lines.
    let secret_text = fs::read_to_string(&secret_path).unwrap();
    let lines: Vec<&str> = secret_text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        lines,
        [
            "".to_string(),
            "metadata".into(),
            "    name = \"server one\"".into(),
            "    email = \"ops@example.com\"".into(),
            "curve".into(),
            format!("    public-key = \"{}\"", cert.public_z85()),
            format!("    secret-key = \"{}\"", cert.secret_z85().unwrap()),
        ]
    );
}

#[cfg(unix)]
#[test]
fn saving_over_a_loose_secret_file_leaves_it_owner_only() {
    require_curve();
    let dir = TempDir::new("overwrite");
    let path = dir.join("c.key_secret");
    fs::write(&path, "old").unwrap();
    chmod(&path, 0o666);
    let cert = Certificate::new().unwrap();
    cert.save_secret(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(Certificate::load(&path).unwrap(), cert);
    // No temporary file is left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    // A public certificate has no secret file to write.
    let public = Certificate::from_public_key(*cert.public_key());
    assert_eq!(
        public.save_secret(dir.join("x_secret")).unwrap_err().kind(),
        Kind::MissingKey
    );
    public.save(dir.join("only-public.key")).unwrap();
    assert!(!dir.join("only-public.key_secret").exists());
}

#[test]
fn bad_files_give_clear_errors() {
    require_curve();
    let dir = TempDir::new("bad");
    let good = Certificate::new().unwrap();
    let public_z85 = good.public_z85();
    let cases: [(&str, String, Kind, &str); 6] = [
        (
            "short.key",
            format!("curve\n    public-key = \"{}\"\n", &public_z85[..39]),
            Kind::KeyLength,
            "39 characters",
        ),
        (
            "long.key",
            format!("curve\n    public-key = \"{public_z85}AAAAA\"\n"),
            Kind::KeyLength,
            "45 characters",
        ),
        (
            "notz85.key",
            format!("curve\n    public-key = \"{}~\"\n", &public_z85[..39]),
            Kind::KeyEncoding,
            "not Z85",
        ),
        (
            "nosection.key",
            format!("metadata\n    public-key = \"{public_z85}\"\n"),
            Kind::MissingSection,
            "\"curve\" section",
        ),
        (
            "nokey.key",
            "metadata\ncurve\n    secret = \"x\"\n".to_string(),
            Kind::MissingKey,
            "no public-key",
        ),
        (
            "indent.key",
            format!("curve\n   public-key = \"{public_z85}\"\n"),
            Kind::Syntax,
            "4 spaces",
        ),
    ];
    for (name, text, kind, words) in cases {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        let err = Certificate::load(&path).unwrap_err();
        let shown = err.to_string();
        assert_eq!(err.kind(), kind, "{shown}");
        assert_eq!(err.path(), Some(path.as_path()));
        assert!(shown.contains(name), "names the file: {shown}");
        assert!(shown.contains(words), "says why: {shown}");
        let io: std::io::Error = err.into();
        assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
    }
    let missing = Certificate::load(dir.join("absent.key")).unwrap_err();
    assert_eq!(missing.kind(), Kind::Io);
    assert_eq!(
        missing.io_error().unwrap().kind(),
        std::io::ErrorKind::NotFound
    );
    assert!(missing.to_string().contains("absent.key"));
    assert_eq!(Certificate::load(dir.path()).unwrap_err().kind(), Kind::Io);
    let huge = fs::File::create(dir.join("huge.key")).unwrap();
    huge.set_len(2 << 20).unwrap(); // sparse: nothing is written
    let err = Certificate::load(dir.join("huge.key")).unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
    fs::write(dir.join("binary.key"), [0xff, 0xfe, 0]).unwrap();
    assert_eq!(
        Certificate::load(dir.join("binary.key"))
            .unwrap_err()
            .kind(),
        Kind::Io
    );
}

#[cfg(unix)]
#[test]
fn a_secret_file_others_can_read_is_refused() {
    require_curve();
    let dir = TempDir::new("perms");
    let cert = Certificate::new().unwrap();
    let path = dir.join("c.key_secret");
    cert.save_secret(&path).unwrap();
    for (bits, ok) in [
        (0o600, true),
        (0o400, true),
        (0o640, true),
        (0o644, false),
        (0o604, false),
        (0o602, false),
        (0o666, false),
    ] {
        chmod(&path, bits);
        match Certificate::load(&path) {
            Ok(loaded) => {
                assert!(ok, "mode {bits:o} accepted");
                assert_eq!(loaded, cert);
            }
            Err(err) => {
                assert!(!ok, "mode {bits:o} refused: {err}");
                assert_eq!(err.kind(), Kind::InsecurePermissions);
                let shown = err.to_string();
                assert!(shown.contains(&format!("{bits:04o}")), "{shown}");
                assert!(shown.contains("chmod 600"), "{shown}");
                let io: std::io::Error = err.into();
                assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
            }
        }
    }
    // A public file may be world-readable.
    cert.save_public(dir.join("c.key")).unwrap();
    chmod(&dir.join("c.key"), 0o644);
    Certificate::load(dir.join("c.key")).unwrap();
}

#[test]
fn metadata_that_the_format_cannot_hold_is_refused() {
    require_curve();
    let mut cert = Certificate::new().unwrap();
    for name in [
        "",
        "has space",
        "/lead",
        "trail/",
        "quo\"te",
        &"n".repeat(256),
    ] {
        assert_eq!(
            cert.set_meta(name, "v").unwrap_err().kind(),
            Kind::InvalidMetadata,
            "{name:?}"
        );
    }
    for value in ["line\nbreak", "tab\there", "both ' and \""] {
        assert_eq!(
            cert.set_meta("name", value).unwrap_err().kind(),
            Kind::InvalidMetadata,
            "{value:?}"
        );
    }
    cert.set_meta("x.y-z_1$@&+/a", "it's fine").unwrap();
    cert.set_meta("quote", "say \"so\"").unwrap();
    let back = Certificate::parse(&cert.to_secret_text().unwrap()).unwrap();
    assert_eq!(back, cert);
}

#[test]
fn a_store_reads_the_public_certificates_of_a_directory() {
    require_curve();
    let dir = TempDir::new("store");
    let certs: Vec<Certificate> = (0..3).map(|_| Certificate::new().unwrap()).collect();
    for (i, cert) in certs.iter().enumerate() {
        cert.save(dir.join(&format!("client{i}.key"))).unwrap();
    }
    // Hidden files and subdirectories are not read; secret files not opened
    // (this one would not even parse).
    fs::write(dir.join(".editor-swap"), "junk").unwrap();
    fs::write(dir.join("broken_secret"), "junk").unwrap();
    fs::create_dir(dir.join("subdir")).unwrap();
    let mut store = CertificateStore::load(dir.path()).unwrap();
    assert_eq!(store.len(), 3);
    for cert in &certs {
        let found = store.get(cert.public_key()).unwrap();
        assert_eq!(found.secret_key(), None, "the public file was read");
    }
    assert!(!store.contains(&[0u8; 32]));

    // A stray file that is no certificate: an error naming it; the store keeps
    // what it had.
    fs::write(dir.join("README"), "not a certificate\n").unwrap();
    let err = store.reload().unwrap_err();
    assert!(err.to_string().contains("README"), "{err}");
    assert_eq!(store.len(), 3);
    fs::remove_file(dir.join("README")).unwrap();

    // The same key twice.
    certs[0].save_public(dir.join("copy.key")).unwrap();
    let err = store.reload().unwrap_err();
    assert_eq!(err.kind(), Kind::Duplicate);
    fs::remove_file(dir.join("copy.key")).unwrap();

    // Removing and adding certificates shows on reload.
    fs::remove_file(dir.join("client0.key")).unwrap();
    let newcomer = Certificate::new().unwrap();
    newcomer.save_public(dir.join("newcomer.key")).unwrap();
    store.reload().unwrap();
    assert_eq!(store.len(), 3);
    assert!(!store.contains(certs[0].public_key()));
    assert!(store.contains(newcomer.public_key()));
    assert!(CertificateStore::load(dir.join("absent")).is_err());
}

/// A CURVE PUSH client with `cert` trying a server; returns whether its message
/// got through, judged by the server's monitor (`HANDSHAKE_SUCCEEDED` or
/// `HANDSHAKE_FAILED_AUTH`, nothing else counts).
fn try_client(
    ctx: &Context,
    server: &zmq::Socket,
    monitor: &zmq::Monitor,
    server_cert: &Certificate,
    cert: &Certificate,
) -> Option<zmq::Message> {
    let client = ctx.socket(zmq::PUSH).unwrap();
    client.set_linger(0).unwrap();
    // One attempt: a refused client must not come back and leave a second
    // outcome for the next call to read.
    client.set_reconnect_ivl(-1).unwrap();
    cert.apply(&client).unwrap();
    client
        .set_curve_serverkey(server_cert.public_key())
        .unwrap();
    client
        .connect(&server.get_last_endpoint().unwrap())
        .unwrap();
    client.send("hello", SendFlags::empty()).unwrap();
    loop {
        match monitor.recv_timeout(Duration::from_secs(30)).unwrap() {
            Some(MonitorEvent::HandshakeSucceeded { .. }) => {
                return Some(server.recv_message(RecvFlags::empty()).unwrap());
            }
            Some(MonitorEvent::HandshakeFailedAuth { status, .. }) => {
                assert_eq!(status, 400);
                return None;
            }
            Some(_) => {}
            None => panic!("no handshake outcome within 30 s"),
        }
    }
}

#[test]
fn the_authenticator_admits_a_directorys_clients_and_reloads_it() {
    require_curve();
    let dir = TempDir::new("auth");
    let mut alice = Certificate::new().unwrap();
    alice.set_meta("name", "alice").unwrap();
    alice.set_meta("team", "blue").unwrap();
    // A reserved name is not passed on (libzmq checks Socket-Type itself).
    alice.set_meta("Socket-Type", "ROUTER").unwrap();
    alice.save(dir.join("alice.key")).unwrap();
    let bob = Certificate::new().unwrap();

    let ctx = Context::new().unwrap();
    let auth = Authenticator::start(&ctx).unwrap();
    assert_eq!(
        auth.configure_curve_certificates("*", dir.path()).unwrap(),
        1
    );
    let server_cert = Certificate::new().unwrap();
    let server = ctx.socket(zmq::PULL).unwrap();
    let monitor = server
        .monitor_socket(MonitorEvents::HANDSHAKE_SUCCEEDED | MonitorEvents::HANDSHAKE_FAILED_AUTH)
        .unwrap();
    server.set_curve_server(true).unwrap();
    server_cert.apply(&server).unwrap();
    server.set_rcvtimeo(30_000).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();

    let msg = try_client(&ctx, &server, &monitor, &server_cert, &alice).expect("alice admitted");
    assert_eq!(msg, "hello");
    assert_eq!(msg.gets("User-Id").unwrap(), alice.public_z85());
    assert_eq!(msg.gets("name").unwrap(), "alice");
    assert_eq!(msg.gets("team").unwrap(), "blue");
    assert_eq!(msg.gets("Socket-Type").unwrap(), "PUSH");
    assert!(try_client(&ctx, &server, &monitor, &server_cert, &bob).is_none());

    // Bob's certificate arrives: refused until the reload, admitted after it.
    bob.save_public(dir.join("bob.key")).unwrap();
    assert!(try_client(&ctx, &server, &monitor, &server_cert, &bob).is_none());
    assert_eq!(auth.reload_certificates().unwrap(), 2);
    assert!(try_client(&ctx, &server, &monitor, &server_cert, &bob).is_some());

    // A broken file: the reload fails, naming it, and the lists stay as they were.
    fs::write(
        dir.join("broken.key"),
        "curve\n    public-key = \"short\"\n",
    )
    .unwrap();
    let err = auth.reload_certificates().unwrap_err();
    assert!(err.to_string().contains("broken.key"), "{err}");
    assert!(try_client(&ctx, &server, &monitor, &server_cert, &bob).is_some());
    fs::remove_file(dir.join("broken.key")).unwrap();

    // Alice's certificate is withdrawn: new connections from her are refused.
    fs::remove_file(dir.join("alice.key")).unwrap();
    assert_eq!(auth.reload_certificates().unwrap(), 1);
    assert!(try_client(&ctx, &server, &monitor, &server_cert, &alice).is_none());
    assert_eq!((auth.allowed(), auth.denied()), (3, 3));
    // A domain configured otherwise afterwards is left alone by reloads.
    auth.configure_curve_any("*");
    assert_eq!(auth.reload_certificates().unwrap(), 0);
    assert!(try_client(&ctx, &server, &monitor, &server_cert, &alice).is_some());
}
