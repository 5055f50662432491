/* The kernel environment: simulated clock, timers, work, kref/refcount, kmalloc helpers. argv picks the parts. */
#include <stdio.h>
#include <string.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/delay.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/kref.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/version.h>
#include <linux/cache.h>
#include <linux/completion.h>
#include <linux/wait.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <dmashim/bridge.h>

#define REL(j) ((long)((j) - INITIAL_JIFFIES))

struct tdev {
	struct timer_list timer;
	const char *name;
	int fired;
};

static void tfn(struct timer_list *t)
{
	struct tdev *d = from_timer(d, t, timer);
	d->fired++;
	printf("timer %s at %ld in_softirq=%d\n", d->name, REL(jiffies), in_softirq() ? 1 : 0);
}

static int clock_part(void)
{
	printf("HZ=%d start=%ld ns=%lld\n", HZ, REL(jiffies), (long long)ktime_get_ns());
	printf("msecs_to_jiffies(10)=%lu usecs_to_jiffies(1)=%lu jiffies_to_msecs(3)=%u\n", msecs_to_jiffies(10),
	       usecs_to_jiffies(1), jiffies_to_msecs(3));
	ktime_t t0 = ktime_get();
	udelay(10);
	printf("udelay(10): %lld us\n", (long long)ktime_us_delta(ktime_get(), t0));
	msleep(10);
	printf("msleep(10): jiffies %ld, %lld us\n", REL(jiffies), (long long)ktime_us_delta(ktime_get(), t0));
	unsigned long timeout = jiffies + HZ / 10;
	unsigned long spins = 0;
	while (time_before(jiffies, timeout)) {
		cpu_relax();
		spins++;
	}
	printf("polled to the timeout: %d spins>0 jiffies %ld\n", spins > 0, REL(jiffies));
	dmashim_advance_ms(1000);
	printf("advanced 1s: jiffies %ld time_after=%d\n", REL(jiffies), time_after(jiffies, timeout) ? 1 : 0);
	return 0;
}

static int timers_part(void)
{
	static struct tdev a = { .name = "a" }, b = { .name = "b" }, c = { .name = "c" }, d = { .name = "d" };
	timer_setup(&a.timer, tfn, 0);
	timer_setup(&b.timer, tfn, 0);
	timer_setup(&c.timer, tfn, 0);
	timer_setup(&d.timer, tfn, 0);
	mod_timer(&b.timer, jiffies + 20);
	mod_timer(&a.timer, jiffies + 5);
	mod_timer(&c.timer, jiffies + 20);
	mod_timer(&d.timer, jiffies - 3);
	unsigned int pending = dmashim_timers_pending();
	printf("pending %u, mod again returns %d\n", pending, mod_timer(&c.timer, jiffies + 10));
	int del = del_timer_sync(&b.timer);
	printf("del_timer_sync(b) = %d, again %d\n", del, del_timer_sync(&b.timer));
	msleep(100);
	printf("after msleep(100): jiffies %ld a=%d b=%d c=%d d=%d pending=%d\n", REL(jiffies), a.fired, b.fired,
	       c.fired, d.fired, timer_pending(&a.timer));
	/* Interrupts off: the timer waits until a delay with them on. */
	unsigned long flags;
	mod_timer(&a.timer, jiffies + 1);
	local_irq_save(flags);
	mdelay(20);
	printf("irqs off, mdelay(20): a=%d\n", a.fired);
	local_irq_restore(flags);
	udelay(1);
	printf("irqs on, udelay(1): a=%d\n", a.fired);
	static DEFINE_SPINLOCK(lock);
	mod_timer(&a.timer, jiffies + 1);
	spin_lock_bh(&lock);
	mdelay(20);
	printf("softirqs off, mdelay(20): a=%d\n", a.fired);
	spin_unlock_bh(&lock);
	printf("softirqs on again: a=%d\n", a.fired);
	return 0;
}

static void sleepy_fn(struct timer_list *t)
{
	(void)t;
	msleep(1);
}

static int timer_sleeps_part(void)
{
	static struct timer_list t;
	timer_setup(&t, sleepy_fn, 0);
	mod_timer(&t, jiffies + 1);
	msleep(10);
	printf("done\n");
	return 0;
}

struct wdev {
	struct work_struct work;
	struct delayed_work dwork;
	int runs, druns;
};

static void wfn(struct work_struct *w)
{
	struct wdev *d = container_of(w, struct wdev, work);
	d->runs++;
	printf("work at %ld in_task=%d\n", REL(jiffies), in_task() ? 1 : 0);
	msleep(1);
}

static void dwfn(struct work_struct *w)
{
	struct wdev *d = container_of(to_delayed_work(w), struct wdev, dwork);
	d->druns++;
	printf("delayed work at %ld\n", REL(jiffies));
	if (d->druns < 3)
		schedule_delayed_work(&d->dwork, 25);
}

static int work_part(void)
{
	static struct wdev d;
	INIT_WORK(&d.work, wfn);
	INIT_DELAYED_WORK(&d.dwork, dwfn);
	int q1 = schedule_work(&d.work);
	int q2 = schedule_work(&d.work);
	printf("queue %d again %d pending %d need_resched %d\n", q1, q2, work_pending(&d.work), need_resched());
	int f = flush_work(&d.work);
	printf("flush_work %d runs %d\n", f, d.runs);
	f = flush_work(&d.work);
	printf("flush idle %d\n", f);
	schedule_work(&d.work);
	int c = cancel_work_sync(&d.work);
	printf("cancel_work_sync %d runs %d\n", c, d.runs);
	printf("delayed from %ld\n", REL(jiffies));
	schedule_delayed_work(&d.dwork, 10);
	msleep(200);
	printf("after msleep(200): druns %d pending %d\n", d.druns, delayed_work_pending(&d.dwork));
	schedule_delayed_work(&d.dwork, 10);
	c = cancel_delayed_work_sync(&d.dwork);
	printf("cancel_delayed_work_sync %d, again %d\n", c, cancel_delayed_work_sync(&d.dwork));
	msleep(100);
	struct workqueue_struct *wq = alloc_workqueue("kenv%d", 0, 1, 7);
	queue_work(wq, &d.work);
	flush_workqueue(wq);
	printf("own wq: runs %d\n", d.runs);
	queue_work(wq, &d.work);
	destroy_workqueue(wq);
	printf("destroyed: runs %d\n", d.runs);
	schedule_work(&d.work);
	dmashim_advance_ms(1);
	printf("advance: runs %d\n", d.runs);
	return 0;
}

struct obj {
	struct kref ref;
	int released;
};

static void obj_release(struct kref *k)
{
	struct obj *o = container_of(k, struct obj, ref);
	o->released++;
}

static int kref_part(void)
{
	struct obj o = { .released = 0 };
	kref_init(&o.ref);
	kref_get(&o.ref);
	printf("read %u\n", kref_read(&o.ref));
	for (int i = 0; i < 3; i++) {
		int put = kref_put(&o.ref, obj_release);
		printf("put %d released %d\n", put, o.released);
	}
	refcount_t r = REFCOUNT_INIT(0);
	refcount_inc(&r);
	printf("inc on 0: %d saturated %d\n", (int)refcount_read(&r), (int)refcount_read(&r) == REFCOUNT_SATURATED);
	refcount_set(&r, 1);
	refcount_dec(&r);
	refcount_set(&r, INT_MAX);
	refcount_inc(&r);
	printf("overflow saturated %d\n", (int)refcount_read(&r) == REFCOUNT_SATURATED);
	refcount_set(&r, 2);
	int t1 = refcount_dec_and_test(&r);
	printf("dec_and_test %d %d\n", t1, refcount_dec_and_test(&r));
	return 0;
}

static int alloc_part(void)
{
	static const char src[] = "dma descriptor";
	char *m = kmemdup(src, sizeof(src), GFP_KERNEL);
	char *s = kstrdup("ring0", GFP_KERNEL);
	char *n = kstrndup("abcdef", 3, GFP_KERNEL);
	printf("kmemdup %s kstrdup %s kstrndup %s null %p\n", m, s, n, (void *)kstrdup(NULL, GFP_KERNEL));
	u8 *p = kmalloc(16, GFP_KERNEL);
	for (int i = 0; i < 16; i++)
		p[i] = (u8)i;
	u8 *q = krealloc(p, 4096, GFP_KERNEL | __GFP_ZERO);
	int ok = q != NULL;
	for (int i = 0; i < 16; i++)
		ok &= q[i] == i;
	for (int i = 16; i < 4096; i++)
		ok &= q[i] == 0;
	printf("krealloc grows, keeps and zeroes: %d, shrink in place %d\n", ok, krealloc(q, 8, GFP_KERNEL) == q);
	u32 *v = vzalloc(3 * PAGE_SIZE + 5);
	ok = v && is_vmalloc_addr(v) && v[100] == 0;
	v[3 * PAGE_SIZE / 4] = 0xabcd;
	struct page *pg = vmalloc_to_page((char *)v + 3 * PAGE_SIZE);
	printf("vzalloc %d vmalloc_to_page %d\n", ok, pg && *(u32 *)page_address(pg) == 0xabcd);
	vfree(v);
	void *kv = kvmalloc(1 << 20, GFP_KERNEL);
	void *kz = kvzalloc(64, GFP_KERNEL);
	printf("kvmalloc %d kvzalloc %d\n", kv != NULL, kz != NULL && !is_vmalloc_addr(kz));
	kvfree(kv);
	kvfree(kz);
	kfree(krealloc(NULL, 8, GFP_KERNEL));
	kfree(m);
	kfree(s);
	kfree(n);
	kfree(krealloc(q, 0, GFP_KERNEL) == ZERO_SIZE_PTR ? NULL : (void *)1);
	return 0;
}

static int config_part(void)
{
	printf("ARCH_DMA_MINALIGN %d ARCH_KMALLOC_MINALIGN %d dma_debug %d swiotlb %d x86_64 %d module %d\n",
	       (int)ARCH_DMA_MINALIGN, (int)ARCH_KMALLOC_MINALIGN, IS_ENABLED(CONFIG_DMA_API_DEBUG),
	       IS_ENABLED(CONFIG_SWIOTLB), IS_BUILTIN(CONFIG_X86_64), IS_MODULE(CONFIG_DMA_API_DEBUG));
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 15, 0)
	printf("version %d.%d new\n", LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL);
#else
	printf("version %d.%d old\n", LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL);
#endif
	if (sizeof(long) == 4)
		BUILD_BUG();
	BUILD_BUG_ON(sizeof(u64) != 8);
	return 0;
}

struct cdev {
	struct completion done;
	struct timer_list timer;
	struct tasklet_struct tasklet;
	wait_queue_head_t wq;
	int flag, irqs;
	u32 __iomem *regs;
};

static struct cdev cd;

static void cd_timer(struct timer_list *t)
{
	struct cdev *c = from_timer(c, t, timer);
	printf("timer completes at %ld\n", REL(jiffies));
	complete(&c->done);
}

static void cd_tasklet(struct tasklet_struct *t)
{
	struct cdev *c = from_tasklet(c, t, tasklet);
	c->flag = 1;
	printf("tasklet at %ld in_softirq=%d\n", REL(jiffies), in_softirq() ? 1 : 0);
	wake_up(&c->wq);
}

static irqreturn_t cd_irq(int irq, void *dev)
{
	struct cdev *c = dev;
	c->irqs++;
	printf("irq %d in_irq=%d status %x\n", irq, in_irq() ? 1 : 0, readl(c->regs));
	tasklet_schedule(&c->tasklet);
	return IRQ_HANDLED;
}

static int wait_part(void)
{
	init_completion(&cd.done);
	timer_setup(&cd.timer, cd_timer, 0);
	tasklet_setup(&cd.tasklet, cd_tasklet);
	init_waitqueue_head(&cd.wq);
	mod_timer(&cd.timer, jiffies + 30);
	unsigned long left = wait_for_completion_timeout(&cd.done, msecs_to_jiffies(1000));
	printf("completed: left %lu at %ld\n", left, REL(jiffies));
	left = wait_for_completion_timeout(&cd.done, 10);
	printf("nothing to complete: %lu at %ld\n", left, REL(jiffies));
	cd.regs = ioremap(0xfe000000, 0x100);
	writel(0x5, cd.regs);
	int r = request_irq(11, cd_irq, IRQF_SHARED, "kenv", &cd);
	printf("request_irq %d\n", r);
	r = dmashim_raise_irq(11);
	printf("raised: handled %d irqs %d flag %d\n", r, cd.irqs, cd.flag);
	cd.flag = 0;
	tasklet_schedule(&cd.tasklet);
	long w = wait_event_timeout(cd.wq, cd.flag, HZ);
	printf("wait_event_timeout %ld flag %d\n", w, cd.flag);
	w = wait_event_timeout(cd.wq, cd.flag == 2, 5);
	printf("timed out %ld at %ld\n", w, REL(jiffies));
	free_irq(11, &cd);
	printf("no handler %d\n", dmashim_raise_irq(11));
	iounmap(cd.regs);
	return 0;
}

static int hung_part(void)
{
	init_completion(&cd.done);
	wait_for_completion(&cd.done);
	printf("not reached\n");
	return 0;
}

static int run_part(const char *part)
{
	if (!strcmp(part, "clock"))
		return clock_part();
	if (!strcmp(part, "timers"))
		return timers_part();
	if (!strcmp(part, "timer-sleeps"))
		return timer_sleeps_part();
	if (!strcmp(part, "work"))
		return work_part();
	if (!strcmp(part, "kref"))
		return kref_part();
	if (!strcmp(part, "alloc"))
		return alloc_part();
	if (!strcmp(part, "wait"))
		return wait_part();
	if (!strcmp(part, "hung"))
		return hung_part();
	if (!strcmp(part, "config"))
		return config_part();
	return 2;
}

/* Several parts in one run (one process start) each follow a line "--- part"; the first failure is the status. */
int main(int argc, char **argv)
{
	if (argc <= 2)
		return run_part(argc > 1 ? argv[1] : "");
	int status = 0;
	for (int i = 1; i < argc; i++) {
		printf("--- %s\n", argv[i]);
		int r = run_part(argv[i]);
		if (status == 0)
			status = r;
	}
	return status;
}
