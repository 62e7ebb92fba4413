//! A loopback TCP relay that delays every byte by a fixed time in each direction, so that
//! `linkwork bench audit --delay-us N` can measure the audit path with the database on
//! another host, as it is in a deployment, on a machine where PostgreSQL is on loopback.
//!
//! Threads rather than tasks: tokio's timer counts whole milliseconds, and a data centre's
//! round trip is a fraction of one. Each direction of each connection has a reader, which
//! stamps what it reads, and a writer, which sends each chunk once its time has come, in
//! order. The relay lives as long as the benchmark process.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Starts the relay on a free loopback port, forwarding to `upstream` with `one_way` added
/// to each direction, and returns its address.
pub fn start(upstream: SocketAddr, one_way: Duration) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(upstream) else {
                continue;
            };
            for s in [&client, &server] {
                let _ = s.set_nodelay(true);
            }
            let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                continue;
            };
            pipe(client, s2, one_way);
            pipe(server, c2, one_way);
        }
    });
    Ok(addr)
}

/// One direction: what `from` sends reaches `to` `delay` later, in order.
fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
        // Dropping `tx` ends the writer once it has sent what was read.
    });
    thread::spawn(move || {
        for (due, bytes) in rx {
            let now = Instant::now();
            if due > now {
                thread::sleep(due - now);
            }
            if to.write_all(&bytes).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_delays_each_way_and_keeps_the_bytes_in_order() {
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let upstream = echo.local_addr().unwrap();
        thread::spawn(move || {
            let (mut s, _) = echo.accept().unwrap();
            let mut buf = [0u8; 1024];
            loop {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => s.write_all(&buf[..n]).unwrap(),
                }
            }
        });
        let relay = start(upstream, Duration::from_millis(20)).unwrap();
        let mut c = TcpStream::connect(relay).unwrap();
        let t = Instant::now();
        c.write_all(b"first ").unwrap();
        c.write_all(b"second").unwrap();
        let mut got = vec![0u8; 12];
        c.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"first second");
        // There and back: at least two delays.
        assert!(
            t.elapsed() >= Duration::from_millis(40),
            "{:?}",
            t.elapsed()
        );
    }
}
