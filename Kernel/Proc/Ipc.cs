using Kernel.Arch;
using Kernel.Sync;

namespace Kernel.Proc
{
    /// <summary>
    /// Message passing between processes, after MINIX 3: synchronous Send and Receive (from one process or any),
    /// SendRec (send, then wait for that partner's reply only), and Notify, which never blocks and is remembered as
    /// one bit per sender until the receiver asks. Messages are copied once, straight from the sender's buffer into
    /// the receiver's, by whichever CPU completes the rendezvous — both buffers live on their owners' stacks and stay
    /// put while their owners are blocked. Every call is a kernel entry: it takes the big kernel lock, and leaves it
    /// through Scheduler.LeaveKernel. A bad endpoint or message is an error code, never a crash; a call that would
    /// close a cycle of blocked processes is refused with Deadlock (MINIX's ELOCKED).
    /// </summary>
    public static unsafe class Ipc
    {
        private static int[] s_waitsFor;   // DeadlockCheck's graph: slot → slot it is blocked on

        /// <summary>IPC's per-slot state, once the process table is sized.</summary>
        internal static void Initialize()
        {
            s_waitsFor = new int[Endpoint.Slots];
            for (int i = 0; i < s_waitsFor.Length; i++) s_waitsFor[i] = -1;
        }

        [ProcessApi]
        public static IpcStatus Send(int to, Message* message) => Call(to, message, send: true, receive: false, nonBlocking: false);

        /// <summary>Send only if the partner is already waiting for it (MINIX's SENDNB): servers reply so, and cannot be held up by a client.</summary>
        [ProcessApi]
        public static IpcStatus SendNonBlocking(int to, Message* message) => Call(to, message, send: true, receive: false, nonBlocking: true);

        [ProcessApi]
        public static IpcStatus Receive(int from, Message* message) => Call(from, message, send: false, receive: true, nonBlocking: false);

        /// <summary>Receive only what is already there: NotReady otherwise.</summary>
        [ProcessApi]
        public static IpcStatus TryReceive(int from, Message* message) => Call(from, message, send: false, receive: true, nonBlocking: true);

        /// <summary>Send, then receive the partner's reply into the same buffer; nothing else wakes the caller meanwhile.</summary>
        [ProcessApi]
        public static IpcStatus SendRec(int to, Message* message) => Call(to, message, send: true, receive: true, nonBlocking: false);

        [ProcessApi]
        public static IpcStatus Notify(int to)
        {
            BigKernelLock.Enter();
            Process self = Scheduler.CurrentLocked;
            Process target = ProcessTable.Lookup(to, out IpcStatus status);
            if (target != null && !self.IsDead) DeliverNotification(self.Slot, target);   // killed on its way in: it never runs again
            Scheduler.LeaveKernel();
            BigKernelLock.Exit();
            return status;
        }

        /// <summary>A notification from the kernel itself (alarms, hardware events): its source is the kernel task. Lock held.</summary>
        internal static void NotifyFromKernel(int to)
        {
            Process target = ProcessTable.Lookup(to, out _);
            if (target != null) DeliverNotification(ProcessTable.KernelTaskSlot, target);
        }

        private static IpcStatus Call(int partner, Message* message, bool send, bool receive, bool nonBlocking)
        {
            if (message == null) return IpcStatus.BadMessage;
            if (send && message->Type < 0) return IpcStatus.BadMessage;
            BigKernelLock.Enter();
            Process self = Scheduler.CurrentLocked;
            IpcStatus status = self.IsDead ? IpcStatus.DeadEndpoint   // killed while waiting for the lock: LeaveKernel switches away for good
                             : send ? DoSend(self, partner, message, nonBlocking, thenReceive: receive)
                                    : DoReceive(self, partner, message, nonBlocking);
            Scheduler.LeaveKernel();   // a caller that blocked runs again from here, its result in Status
            if (self.Status != IpcStatus.Ok && status == IpcStatus.Ok) status = self.Status;
            BigKernelLock.Exit();
            return status;
        }

        private static IpcStatus DoSend(Process self, int to, Message* message, bool nonBlocking, bool thenReceive)
        {
            self.Status = IpcStatus.Ok;
            Process target = ProcessTable.Lookup(to, out IpcStatus status);
            if (target == null) return status;
            if (target == self) return IpcStatus.Deadlock;
            message->Source = self.Endpoint;
            if (IsWaitingFor(target, self))
            {
                *target.Buffer = *message;
                EndReceive(target, IpcStatus.Ok);
                if (thenReceive) BlockReceiving(self, to, message, awaitingReply: true);
                return IpcStatus.Ok;
            }
            if (nonBlocking) return IpcStatus.NotReady;
            if (DeadlockCheck.WouldDeadlock(self.Slot, target.Slot, s_waitsFor)) return IpcStatus.Deadlock;
            self.SendTo = to;
            self.Buffer = message;
            AppendCaller(target, self);
            s_waitsFor[self.Slot] = target.Slot;
            if (thenReceive)
            {
                self.ReceiveFrom = to;
                self.AwaitingReply = true;
                self.Flags |= ProcessFlags.Receiving;
            }
            Scheduler.Block(self, ProcessFlags.Sending);
            return IpcStatus.Ok;
        }

        private static IpcStatus DoReceive(Process self, int from, Message* message, bool nonBlocking)
        {
            self.Status = IpcStatus.Ok;
            Process source = null;
            if (from != Endpoint.Any)
            {
                source = ProcessTable.Lookup(from, out IpcStatus status);
                if (source == null) return status;   // its notifications were dropped when it died; a bit for its slot is the slot's new owner's
            }
            if (TakeNotification(self, from, message)) return IpcStatus.Ok;
            if (TakeQueuedMessage(self, from, message)) return IpcStatus.Ok;
            if (nonBlocking) return IpcStatus.NotReady;
            if (source == self) return IpcStatus.Deadlock;
            if (source != null && DeadlockCheck.WouldDeadlock(self.Slot, source.Slot, s_waitsFor)) return IpcStatus.Deadlock;
            BlockReceiving(self, from, message, awaitingReply: false);
            return IpcStatus.Ok;
        }

        // Whether `target` sits in Receive and would take a message from `sender` now.
        private static bool IsWaitingFor(Process target, Process sender) =>
            (target.Flags & (ProcessFlags.Receiving | ProcessFlags.Sending)) == ProcessFlags.Receiving
            && (target.ReceiveFrom == Endpoint.Any || target.ReceiveFrom == sender.Endpoint);

        private static void BlockReceiving(Process self, int from, Message* buffer, bool awaitingReply)
        {
            self.ReceiveFrom = from;
            self.Buffer = buffer;
            self.AwaitingReply = awaitingReply;
            s_waitsFor[self.Slot] = from == Endpoint.Any ? -1 : Endpoint.SlotOf(from);
            Scheduler.Block(self, ProcessFlags.Receiving);
        }

        private static void EndReceive(Process receiver, IpcStatus status)
        {
            receiver.Status = status;
            receiver.ReceiveFrom = Endpoint.None;
            receiver.AwaitingReply = false;
            s_waitsFor[receiver.Slot] = -1;
            Scheduler.Unblock(receiver, ProcessFlags.Receiving);
        }

        private static bool TakeQueuedMessage(Process self, int from, Message* message)
        {
            int previous = -1;
            for (int slot = self.FirstCaller; slot >= 0; previous = slot, slot = ProcessTable.At(slot).NextCaller)
            {
                Process sender = ProcessTable.At(slot);
                if (from != Endpoint.Any && sender.Endpoint != from) continue;
                if (previous < 0) self.FirstCaller = sender.NextCaller;
                else ProcessTable.At(previous).NextCaller = sender.NextCaller;
                *message = *sender.Buffer;
                EndSend(sender, IpcStatus.Ok);
                return true;
            }
            return false;
        }

        // The sender's message was taken (or its partner died): a SendRec caller now waits for the reply.
        private static void EndSend(Process sender, IpcStatus status)
        {
            sender.SendTo = Endpoint.None;
            sender.NextCaller = -1;
            sender.Status = status;
            bool awaitingReply = (sender.Flags & ProcessFlags.Receiving) != 0 && status == IpcStatus.Ok;
            s_waitsFor[sender.Slot] = awaitingReply ? Endpoint.SlotOf(sender.ReceiveFrom) : -1;
            if (!awaitingReply && (sender.Flags & ProcessFlags.Receiving) != 0) EndReceive(sender, status);
            Scheduler.Unblock(sender, ProcessFlags.Sending);
        }

        private static void AppendCaller(Process target, Process sender)
        {
            sender.NextCaller = -1;
            if (target.FirstCaller < 0) { target.FirstCaller = sender.Slot; return; }
            Process last = ProcessTable.At(target.FirstCaller);
            while (last.NextCaller >= 0) last = ProcessTable.At(last.NextCaller);
            last.NextCaller = sender.Slot;
        }

        private static void DeliverNotification(int fromSlot, Process target)
        {
            Process source = ProcessTable.At(fromSlot);
            if (IsWaitingFor(target, source) && !target.AwaitingReply)
            {
                *target.Buffer = new Message { Source = source.Endpoint, Type = Message.Notification };
                EndReceive(target, IpcStatus.Ok);
            }
            else target.PendingNotifications.Add(fromSlot);
        }

        private static bool TakeNotification(Process self, int from, Message* message)
        {
            int slot = from == Endpoint.Any ? self.PendingNotifications.Lowest : Endpoint.SlotOf(from);
            if (slot < 0 || !self.PendingNotifications.Remove(slot)) return false;
            *message = new Message { Source = ProcessTable.At(slot).Endpoint, Type = Message.Notification };
            return true;
        }

        /// <summary>
        /// A process died: everyone blocked on it — sending to it, or receiving from it alone (a reply included) — gets
        /// DeadEndpoint; a message it was sending is withdrawn; notifications from it are dropped. Lock held.
        /// </summary>
        internal static void ForgetEndpoint(Process dead)
        {
            for (int slot = dead.FirstCaller; slot >= 0;)
            {
                Process sender = ProcessTable.At(slot);
                slot = sender.NextCaller;
                EndSend(sender, IpcStatus.DeadEndpoint);
            }
            dead.FirstCaller = -1;
            if ((dead.Flags & ProcessFlags.Sending) != 0) RemoveCaller(ProcessTable.At(Endpoint.SlotOf(dead.SendTo)), dead);
            dead.SendTo = dead.ReceiveFrom = Endpoint.None;
            s_waitsFor[dead.Slot] = -1;
            for (int slot = 0; slot < Endpoint.Slots; slot++)
            {
                Process other = ProcessTable.At(slot);
                other.PendingNotifications.Remove(dead.Slot);
                if (other != dead && !other.IsDead && (other.Flags & (ProcessFlags.Receiving | ProcessFlags.Sending)) == ProcessFlags.Receiving
                    && other.ReceiveFrom == dead.Endpoint)
                    EndReceive(other, IpcStatus.DeadEndpoint);
            }
        }

        private static void RemoveCaller(Process target, Process sender)
        {
            if (target.FirstCaller == sender.Slot) { target.FirstCaller = sender.NextCaller; return; }
            for (int slot = target.FirstCaller; slot >= 0; slot = ProcessTable.At(slot).NextCaller)
            {
                Process at = ProcessTable.At(slot);
                if (at.NextCaller != sender.Slot) continue;
                at.NextCaller = sender.NextCaller;
                return;
            }
        }
    }
}
