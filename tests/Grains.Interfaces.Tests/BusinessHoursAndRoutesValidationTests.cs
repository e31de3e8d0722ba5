namespace Conversations.Grains.Interfaces.Tests;

/// <summary>BusinessHours:* and Handoff:Routes:* mistakes stop the start with a message naming the key.</summary>
public sealed class BusinessHoursAndRoutesValidationTests
{
    private static TenantOptions Chatwoot(Action<TenantOptions> configure)
    {
        var tenant = new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot, WebhookSecret = "s" };
        configure(tenant);
        return tenant;
    }

    private static string Refused(TenantOptions tenant) =>
        Assert.Throws<InvalidOperationException>(() => new TenantCatalog([tenant])).Message;

    private static void Hours(TenantOptions t, string zone = "Europe/Paris", string day = "Monday", string span = "09:00-17:00")
    {
        t.BusinessHours.TimeZone = zone;
        t.BusinessHours.Weekly[day] = span;
    }

    [Fact]
    public void Business_hours_are_off_by_default_and_a_full_valid_setting_is_accepted()
    {
        Assert.Null(new BusinessHoursOptions().Hours());
        var catalog = new TenantCatalog([Chatwoot(t =>
        {
            Hours(t, span: "09:00-12:00, 13:00-17:00");
            t.BusinessHours.Weekly["saturday"] = "10:00-12:00";
            t.BusinessHours.Weekly["Sunday"] = "closed";
            t.BusinessHours.Closed = ["2026-12-25"];
            t.BusinessHours.OutsideAction = OutsideHoursAction.Snooze;
        })]);
        Assert.Equal("Europe/Paris", catalog.Find("acme")!.BusinessHours.Hours()!.Zone.Id);
    }

    [Fact]
    public void An_unknown_time_zone_names_the_key()
    {
        var message = Refused(Chatwoot(t => Hours(t, zone: "Europe/Pariss")));
        Assert.Contains("Conversations:Tenants:0:BusinessHours:TimeZone 'Europe/Pariss'", message);
    }

    [Fact]
    public void Weekly_without_a_time_zone_and_a_time_zone_without_weekly_are_refused()
    {
        Assert.Contains("Conversations:Tenants:0:BusinessHours:TimeZone is required", Refused(Chatwoot(t => t.BusinessHours.Weekly["Monday"] = "09:00-17:00")));
        Assert.Contains("Conversations:Tenants:0:BusinessHours:Weekly is required", Refused(Chatwoot(t => t.BusinessHours.TimeZone = "Europe/Paris")));
    }

    [Theory]
    [InlineData("Monday", "9-17", "Conversations:Tenants:0:BusinessHours:Weekly:Monday '9-17'")]
    [InlineData("Monday", "17:00-09:00", "Conversations:Tenants:0:BusinessHours:Weekly:Monday '17:00-09:00'")]
    [InlineData("Mondy", "09:00-17:00", "Conversations:Tenants:0:BusinessHours:Weekly:Mondy is not a day")]
    [InlineData("1", "09:00-17:00", "Conversations:Tenants:0:BusinessHours:Weekly:1 is not a day")]
    [InlineData("Monday", "closed", "Conversations:Tenants:0:BusinessHours:Weekly opens on no day")]
    public void A_bad_span_or_day_names_the_key(string day, string span, string expected) =>
        Assert.Contains(expected, Refused(Chatwoot(t => Hours(t, day: day, span: span))));

    [Fact]
    public void A_bad_closed_date_an_undefined_action_and_a_bad_format_name_their_keys()
    {
        var message = Refused(Chatwoot(t =>
        {
            Hours(t);
            t.BusinessHours.Closed = ["2026-12-25", "25/12/2026"];
            t.BusinessHours.OutsideAction = (OutsideHoursAction)7;
            t.BusinessHours.OpeningFormat = "dddd %";
        }));
        Assert.Contains("Conversations:Tenants:0:BusinessHours:Closed:1 '25/12/2026'", message);
        Assert.Contains("Conversations:Tenants:0:BusinessHours:OutsideAction must be one of: HandOff, KeepWithBot, Snooze", message);
        Assert.Contains("Conversations:Tenants:0:BusinessHours:OpeningFormat", message);
    }

    [Fact]
    public void Routes_list_their_topics_in_order_without_repeats()
    {
        var handoff = new HandoffOptions
        {
            Routes = [new() { Topic = "billing" }, new() { Reason = "customer_asked" }, new() { Topic = "Billing" }, new() { Topic = "returns" }],
        };
        Assert.Equal(["billing", "returns"], handoff.Topics());
    }

    [Fact]
    public void A_route_matches_its_topic_or_its_reason_and_one_with_neither_matches_any_handoff()
    {
        Assert.True(new HandoffRoute { Topic = "billing" }.Matches("ai_signal", "BILLING"));
        Assert.False(new HandoffRoute { Topic = "billing" }.Matches("ai_signal", null));
        Assert.False(new HandoffRoute { Topic = "billing" }.Matches("customer_asked", "returns"));
        Assert.True(new HandoffRoute { Reason = "customer_asked" }.Matches("customer_asked", null));
        Assert.False(new HandoffRoute { Reason = "customer_asked" }.Matches("ai_failure", null));
        Assert.True(new HandoffRoute().Matches("max_bot_turns", null));
    }

    [Fact]
    public void Chatwoot_route_mistakes_name_their_keys()
    {
        var message = Refused(Chatwoot(t => t.Handoff.Routes =
        [
            new() { Reason = "customer_asked", TeamId = "4", AssigneeId = "12", Labels = ["vip"], Priority = "high" },
            new() { Reason = "angry_customer" },
            new() { Reason = "ai_signal", Topic = "billing" },
            new() { Topic = "billing and more" },
            new() { TeamId = "sales", AssigneeId = "x1", Priority = "critical", Labels = ["two words"] },
            new() { CategoryId = "abc" },
        ]));
        Assert.DoesNotContain("Routes:0", message);
        Assert.Contains("Conversations:Tenants:0:Handoff:Routes:1:Reason 'angry_customer' is not a handoff reason", message);
        Assert.Contains("Conversations:Tenants:0:Handoff:Routes:2: set Reason or Topic, not both", message);
        Assert.Contains("Conversations:Tenants:0:Handoff:Routes:3:Topic", message);
        Assert.Contains("Conversations:Tenants:0:Handoff:Routes:4:TeamId", message);
        Assert.Contains("Conversations:Tenants:0:Handoff:Routes:4:AssigneeId", message);
        Assert.Contains("Conversations:Tenants:0:Handoff:Routes:4:Priority 'critical'", message);
        Assert.Contains("Conversations:Tenants:0:Handoff:Routes:4:Labels:0", message);
        Assert.Contains("Conversations:Tenants:0:Handoff:Routes:5:CategoryId is for Engage tenants", message);
    }

    [Fact]
    public void Engage_routes_take_a_category_and_refuse_chatwoot_fields()
    {
        var engage = new TenantOptions { Id = "globex", Platform = PlatformKind.Engage, VerifyToken = "v" };
        engage.Handoff.Routes = [new() { Reason = "customer_asked", CategoryId = "65f1cat0001" }, new() { Topic = "billing", TeamId = "4" }, new() { CategoryId = "not an id" }];
        var message = Refused(engage);
        Assert.DoesNotContain("Routes:0", message);
        Assert.Contains("Conversations:Tenants:0:Handoff:Routes:1: TeamId, AssigneeId, Labels and Priority are for Chatwoot tenants", message);
        Assert.Contains("Conversations:Tenants:0:Handoff:Routes:2:CategoryId must be an Engage category id", message);
    }
}
