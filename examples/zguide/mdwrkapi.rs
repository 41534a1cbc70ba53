//! Majordomo Protocol worker API (zguide `mdwrkapi.c`): implements the
//! MDP/Worker side of rfc.zeromq.org spec 7 over a `DEALER` socket: registers
//! its service with the broker (`READY`), exchanges heartbeats with it, and
//! reconnects when the broker has been silent for `HEARTBEAT_LIVENESS`
//! heartbeats or tells it to (`DISCONNECT`).
//!
//! Included by `mdworker` with `mod mdwrkapi;` (beside `mod mdp;` and the
//! `zhelpers` module); not an example of its own. The C's `mdwrk_new`,
//! `mdwrk_set_heartbeat`, `mdwrk_set_reconnect` and `mdwrk_recv` are
//! [`Mdwrk::new`], [`Mdwrk::set_heartbeat`], [`Mdwrk::set_reconnect`] and
//! [`Mdwrk::recv`]; `mdwrk_destroy` is dropping it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use crate::mdp::{
    mdps_command_name, MDPW_DISCONNECT, MDPW_HEARTBEAT, MDPW_READY, MDPW_REPLY, MDPW_REQUEST,
    MDPW_WORKER,
};
use crate::zhelpers::{s_console, s_dump_msg, s_msg_unwrap, s_msg_wrap, s_sleep, Result};

/// A multipart message, one `Vec<u8>` per frame (CZMQ's `zmsg_t`).
pub type Msg = Vec<Vec<u8>>;

//  Reliability parameters
const HEARTBEAT_LIVENESS: u32 = 3; //  3-5 is reasonable

/// A worker session with a Majordomo broker (`mdwrk_t`).
pub struct Mdwrk {
    context: zmq::Context, //  Our context
    broker: String,
    service: String,
    worker: zmq::Socket, //  Socket to broker
    verbose: bool,       //  Print activity to stdout

    //  Heartbeat management
    heartbeat_at: Instant, //  When to send HEARTBEAT
    liveness: u32,         //  How many attempts left
    heartbeat: u64,        //  Heartbeat delay, msecs
    reconnect: u64,        //  Reconnect delay, msecs

    expect_reply: bool,        //  False only at start
    reply_to: Option<Vec<u8>>, //  Return identity, if any
}

impl Mdwrk {
    //  Send message to broker
    //  If no msg is provided, creates one internally
    fn s_mdwrk_send_to_broker(
        &self,
        command: &str,
        option: Option<&str>,
        msg: Option<Msg>,
    ) -> zmq::Result<()> {
        let mut msg = msg.unwrap_or_default();

        //  Stack protocol envelope to start of message
        if let Some(option) = option {
            msg.insert(0, option.into());
        }
        msg.splice(0..0, [Vec::new(), MDPW_WORKER.into(), command.into()]);

        if self.verbose {
            s_console(format_args!(
                "I: sending {} to broker",
                mdps_command_name(command.as_bytes())
            ));
            s_dump_msg(&msg);
        }
        self.worker.send_multipart(&msg, zmq::SendFlags::empty())
    }

    //  A new socket connected to the broker (the first half of
    //  s_mdwrk_connect_to_broker)
    fn s_mdwrk_socket(
        context: &zmq::Context,
        broker: &str,
        verbose: bool,
    ) -> zmq::Result<zmq::Socket> {
        let worker = context.socket(zmq::DEALER)?;
        // CZMQ closes its sockets with a linger of 0.
        worker.set_linger(0)?;
        worker.connect(broker)?;
        if verbose {
            s_console(format_args!("I: connecting to broker at {broker}..."));
        }
        Ok(worker)
    }

    //  Register service with broker (the second half)
    fn s_mdwrk_ready(&mut self) -> zmq::Result<()> {
        self.s_mdwrk_send_to_broker(MDPW_READY, Some(&self.service), None)?;

        //  If liveness hits zero, queue is considered disconnected
        self.liveness = HEARTBEAT_LIVENESS;
        self.heartbeat_at = Instant::now() + Duration::from_millis(self.heartbeat);
        Ok(())
    }

    //  Connect or reconnect to broker
    fn s_mdwrk_connect_to_broker(&mut self) -> zmq::Result<()> {
        self.worker = Mdwrk::s_mdwrk_socket(&self.context, &self.broker, self.verbose)?;
        self.s_mdwrk_ready()
    }

    /// Connects to the broker at `broker` and registers as a worker for
    /// `service` (`mdwrk_new`); `verbose` prints every message sent and
    /// received. Heartbeat and reconnect delays of 2.5 s, as in the C.
    pub fn new(broker: &str, service: &str, verbose: bool) -> zmq::Result<Mdwrk> {
        let context = zmq::Context::new()?;
        let worker = Mdwrk::s_mdwrk_socket(&context, broker, verbose)?;
        let mut session = Mdwrk {
            context,
            broker: broker.to_owned(),
            service: service.to_owned(),
            worker,
            verbose,
            heartbeat_at: Instant::now(),
            liveness: HEARTBEAT_LIVENESS,
            heartbeat: 2500, //  msecs
            reconnect: 2500, //  msecs
            expect_reply: false,
            reply_to: None,
        };
        session.s_mdwrk_ready()?;
        Ok(session)
    }

    /// Sets the heartbeat delay in milliseconds (`mdwrk_set_heartbeat`); unlike
    /// the C, the next heartbeat is rescheduled with it at once.
    pub fn set_heartbeat(&mut self, heartbeat: u64) {
        self.heartbeat = heartbeat;
        self.heartbeat_at = Instant::now() + Duration::from_millis(heartbeat);
    }

    /// Sets the reconnect delay in milliseconds (`mdwrk_set_reconnect`).
    pub fn set_reconnect(&mut self, reconnect: u64) {
        self.reconnect = reconnect;
    }

    /// The session's context (not in the C): shutting it down from another
    /// thread makes [`Mdwrk::recv`] return `None`.
    pub fn context(&self) -> &zmq::Context {
        &self.context
    }

    /// Sends `reply`, if any, to the broker and waits for the next request
    /// (`mdwrk_recv`). Returns the request's body frames, or `None` when a
    /// signal interrupted the wait or the context was shut down. Every call
    /// but the first must bring the reply to the previous request (the C
    /// asserts; here it is an error).
    pub fn recv(&mut self, reply: Option<Msg>) -> Result<Option<Msg>> {
        match self.s_mdwrk_recv(reply) {
            Err(e)
                if e.downcast_ref::<zmq::Error>()
                    .is_some_and(|e| *e == zmq::Error::EINTR || *e == zmq::Error::ETERM) =>
            {
                if zmq::interrupted() {
                    s_console(format_args!("W: interrupt received, killing worker..."));
                }
                Ok(None)
            }
            Err(e) => Err(e.to_string().into()),
            Ok(request) => Ok(Some(request)),
        }
    }

    //  The body of recv: an error for every way out but a request
    fn s_mdwrk_recv(
        &mut self,
        reply: Option<Msg>,
    ) -> std::result::Result<Msg, Box<dyn std::error::Error>> {
        //  Format and send the reply if we were provided one
        if reply.is_none() && self.expect_reply {
            return Err("a reply to the last request is due".into());
        }
        if let Some(mut reply) = reply {
            let reply_to = self.reply_to.take().ok_or("a reply without a request")?;
            s_msg_wrap(&mut reply, reply_to);
            self.s_mdwrk_send_to_broker(MDPW_REPLY, None, Some(reply))?;
        }
        self.expect_reply = true;

        loop {
            // Not in the C: a signal that came outside the poll (say during the
            // reconnect delay) ends the wait too.
            if zmq::interrupted() {
                return Err(zmq::Error::EINTR.into());
            }
            let mut items = [self.worker.as_poll_item(zmq::PollEvents::POLLIN)];
            zmq::poll(&mut items, self.heartbeat as i64)?;

            if items[0].is_readable() {
                let mut msg = self.worker.recv_multipart(zmq::RecvFlags::empty())?;
                if self.verbose {
                    s_console(format_args!("I: received message from broker:"));
                    s_dump_msg(&msg);
                }
                self.liveness = HEARTBEAT_LIVENESS;

                //  Don't try to handle errors, just say so (the C asserts)
                if msg.len() < 3 || !msg[0].is_empty() || msg[1] != MDPW_WORKER.as_bytes() {
                    s_console(format_args!("E: invalid input message"));
                    s_dump_msg(&msg);
                    continue;
                }
                let command = msg.remove(2);
                msg.drain(..2);
                if command == MDPW_REQUEST.as_bytes() {
                    //  We should pop and save as many addresses as there are
                    //  up to a null part, but for now, just save one...
                    self.reply_to = s_msg_unwrap(&mut msg);
                    //  Here is where we actually have a message to process; we
                    //  return it to the caller application:
                    return Ok(msg); //  We have a request to process
                } else if command == MDPW_HEARTBEAT.as_bytes() {
                    //  Do nothing for heartbeats
                } else if command == MDPW_DISCONNECT.as_bytes() {
                    self.s_mdwrk_connect_to_broker()?;
                } else {
                    s_console(format_args!("E: invalid input message"));
                    s_dump_msg(&msg);
                }
            } else {
                self.liveness -= 1;
                if self.liveness == 0 {
                    if self.verbose {
                        s_console(format_args!("W: disconnected from broker - retrying..."));
                    }
                    s_sleep(self.reconnect);
                    self.s_mdwrk_connect_to_broker()?;
                }
            }
            //  Send HEARTBEAT if it's time
            if Instant::now() > self.heartbeat_at {
                self.s_mdwrk_send_to_broker(MDPW_HEARTBEAT, None, None)?;
                self.heartbeat_at = Instant::now() + Duration::from_millis(self.heartbeat);
            }
        }
    }
}
