//! Majordomo Protocol client API (zguide `mdcliapi.c`, the synchronous
//! version): implements the MDP/Client side of rfc.zeromq.org spec 7 over a
//! `REQ` socket, with a timeout and a number of retries per request, and a
//! fresh socket (reconnection) after each timeout, Lazy Pirate style.
//!
//! Included by `mdclient` and `mmiecho` with `mod mdcliapi;` (beside `mod mdp;` and the
//! `zhelpers` module); not an example of its own. The C's `mdcli_new`,
//! `mdcli_set_timeout`, `mdcli_set_retries` and `mdcli_send` are
//! [`Mdcli::new`], [`Mdcli::set_timeout`], [`Mdcli::set_retries`] and
//! [`Mdcli::send`]; `mdcli_destroy` is dropping it.
#![allow(dead_code)]

use crate::mdp::MDPC_CLIENT;
use crate::zhelpers::{s_console, s_dump_msg, Result};

/// A multipart message, one `Vec<u8>` per frame (CZMQ's `zmsg_t`).
pub type Msg = Vec<Vec<u8>>;

/// A client session with a Majordomo broker (`mdcli_t`).
pub struct Mdcli {
    context: zmq::Context, //  Our context
    broker: String,
    client: zmq::Socket, //  Socket to broker
    verbose: bool,       //  Print activity to stdout
    timeout: i64,        //  Request timeout
    retries: u32,        //  Request retries
}

impl Mdcli {
    //  Connect or reconnect to broker
    fn s_mdcli_connect_to_broker(
        context: &zmq::Context,
        broker: &str,
        verbose: bool,
    ) -> zmq::Result<zmq::Socket> {
        let client = context.socket(zmq::REQ)?;
        // CZMQ closes its sockets with a linger of 0: a request nobody took
        // does not hold the program at exit.
        client.set_linger(0)?;
        client.connect(broker)?;
        if verbose {
            s_console(format_args!("I: connecting to broker at {broker}..."));
        }
        Ok(client)
    }

    /// Connects to the broker at `broker` (`mdcli_new`); `verbose` prints
    /// every message sent and received. Timeout 2.5 s and 3 retries, as in
    /// the C.
    pub fn new(broker: &str, verbose: bool) -> zmq::Result<Mdcli> {
        let context = zmq::Context::new()?;
        let client = Mdcli::s_mdcli_connect_to_broker(&context, broker, verbose)?;
        Ok(Mdcli {
            context,
            broker: broker.to_owned(),
            client,
            verbose,
            timeout: 2500, //  msecs
            retries: 3,    //  Before we abandon
        })
    }

    /// Sets the request timeout in milliseconds (`mdcli_set_timeout`).
    pub fn set_timeout(&mut self, timeout: i64) {
        self.timeout = timeout;
    }

    /// Sets how many times a request is sent before giving up
    /// (`mdcli_set_retries`).
    pub fn set_retries(&mut self, retries: u32) {
        self.retries = retries;
    }

    /// Sends `request` to `service` and waits for the reply, retrying as
    /// configured (`mdcli_send`). Returns the reply's body frames, or `None`
    /// when no reply came after every attempt or a signal interrupted the
    /// wait. A malformed reply is an error (the C asserts).
    pub fn send(&mut self, service: &str, mut request: Msg) -> Result<Option<Msg>> {
        //  Prefix request with protocol frames
        //  Frame 1: "MDPCxy" (six bytes, MDP/Client x.y)
        //  Frame 2: Service name (printable string)
        request.splice(0..0, [MDPC_CLIENT.into(), service.into()]);
        if self.verbose {
            s_console(format_args!("I: send request to '{service}' service:"));
            s_dump_msg(&request);
        }
        let mut retries_left = self.retries;
        while retries_left > 0 && !zmq::interrupted() {
            match self
                .client
                .send_multipart(&request, zmq::SendFlags::empty())
            {
                Err(zmq::Error::EINTR) => break, //  Interrupted
                result => result?,
            }

            //  On any blocking call, libzmq will return an error on a signal
            //  (EINTR, Ctrl-C): we give up then.
            let mut items = [self.client.as_poll_item(zmq::PollEvents::POLLIN)];
            match zmq::poll(&mut items, self.timeout) {
                Err(zmq::Error::EINTR) => break, //  Interrupted
                result => result?,
            };

            //  If we got a reply, process it
            if items[0].is_readable() {
                let mut msg = match self.client.recv_multipart(zmq::RecvFlags::empty()) {
                    Err(zmq::Error::EINTR) => break, //  Interrupted
                    msg => msg?,
                };
                if self.verbose {
                    s_console(format_args!("I: received reply:"));
                    s_dump_msg(&msg);
                }
                //  We would handle malformed replies better in real code
                if msg.len() < 3 {
                    return Err(format!("malformed reply: {} frames", msg.len()).into());
                }
                let header = msg.remove(0);
                if header != MDPC_CLIENT.as_bytes() {
                    return Err("reply is not MDP/Client".into());
                }
                let reply_service = msg.remove(0);
                if reply_service != service.as_bytes() {
                    return Err("reply from another service".into());
                }
                return Ok(Some(msg)); //  Success
            }
            retries_left -= 1;
            if retries_left > 0 {
                if self.verbose {
                    s_console(format_args!("W: no reply, reconnecting..."));
                }
                self.client =
                    Mdcli::s_mdcli_connect_to_broker(&self.context, &self.broker, self.verbose)?;
            } else {
                if self.verbose {
                    s_console(format_args!("W: permanent error, abandoning"));
                }
                break; //  Give up
            }
        }
        if zmq::interrupted() {
            s_console(format_args!("W: interrupt received, killing client..."));
        }
        Ok(None)
    }
}
