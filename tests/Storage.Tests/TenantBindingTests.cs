using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Storage.Tests;

/// <summary>Business hours and handoff routes bind from JSON and from flat keys; a value of the wrong shape stops the start.</summary>
public sealed class TenantBindingTests
{
    private static List<TenantOptions> Bind(string json) =>
        TenantServiceCollectionExtensions.BindTenants(new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build());

    private static List<TenantOptions> Bind(Dictionary<string, string?> flat) =>
        TenantServiceCollectionExtensions.BindTenants(new ConfigurationBuilder().AddInMemoryCollection(flat).Build());

    [Fact]
    public void Json_business_hours_and_routes_bind()
    {
        var tenant = Bind("""
            {"Conversations":{"Tenants":[{"Id":"acme","Platform":"Chatwoot","UrlToken":"t",
              "BusinessHours":{"TimeZone":"Europe/Paris","Weekly":{"Monday":"09:00-12:00, 13:00-17:00","Saturday":"closed"},
                "Closed":["2026-12-25","2027-01-01"],"OutsideAction":"Snooze","OutsideMessage":"Back {next_opening}."},
              "Handoff":{"Routes":[{"Topic":"billing","TeamId":"4","AssigneeId":"12","Labels":["billing","vip"],"Priority":"high"},{"Reason":"customer_asked","TeamId":"2"}]}}]}}
            """).Single();

        Assert.Equal("09:00-12:00, 13:00-17:00", tenant.BusinessHours.Weekly["Monday"]);
        Assert.Equal(["2026-12-25", "2027-01-01"], tenant.BusinessHours.Closed);
        Assert.Equal(OutsideHoursAction.Snooze, tenant.BusinessHours.OutsideAction);
        Assert.Equal("Back {next_opening}.", tenant.BusinessHours.OutsideMessage);
        Assert.Equal(["billing", "vip"], tenant.Handoff.Routes[0].Labels);
        Assert.Equal("customer_asked", tenant.Handoff.Routes[1].Reason);
        Assert.Empty(tenant.Validate(0));
    }

    [Fact]
    public void Flat_keys_as_environment_variables_give_them_bind_the_same()
    {
        var tenant = Bind(new Dictionary<string, string?>
        {
            ["Conversations:Tenants:0:Id"] = "globex",
            ["Conversations:Tenants:0:Platform"] = "Engage",
            ["Conversations:Tenants:0:BusinessHours:TimeZone"] = "America/New_York",
            ["Conversations:Tenants:0:BusinessHours:Weekly:Friday"] = "09:00-17:00",
            ["Conversations:Tenants:0:BusinessHours:Closed:0"] = "2026-07-03",
            ["Conversations:Tenants:0:BusinessHours:OutsideAction"] = "KeepWithBot",
            ["Conversations:Tenants:0:Handoff:Routes:0:Reason"] = "ai_failure",
            ["Conversations:Tenants:0:Handoff:Routes:0:CategoryId"] = "65f1cat0002",
        }).Single();

        Assert.Equal("09:00-17:00", tenant.BusinessHours.Weekly["Friday"]);
        Assert.Equal(["2026-07-03"], tenant.BusinessHours.Closed);
        Assert.Equal(OutsideHoursAction.KeepWithBot, tenant.BusinessHours.OutsideAction);
        Assert.Equal("65f1cat0002", tenant.Handoff.Routes[0].CategoryId);
    }

    [Fact]
    public void An_unknown_outside_action_names_the_key_and_the_values()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Bind(new Dictionary<string, string?>
        {
            ["Conversations:Tenants:0:Id"] = "acme",
            ["Conversations:Tenants:0:BusinessHours:OutsideAction"] = "Later",
        }));
        Assert.Contains("Conversations:Tenants:0:BusinessHours:OutsideAction", error.Message);
        Assert.Contains("Use one of: HandOff, KeepWithBot, Snooze", error.Message);
    }

    [Theory]
    [InlineData("""{"BusinessHours":{"Weekly":{"Monday":["09:00-12:00","13:00-17:00"]}}}""", "Conversations:Tenants:0:BusinessHours:Weekly:Monday must be one string")]
    [InlineData("""{"BusinessHours":{"Closed":"2026-12-25"}}""", "Conversations:Tenants:0:BusinessHours:Closed must be a list")]
    [InlineData("""{"Handoff":{"Routes":[{"Reason":"customer_asked"},{"Labels":"vip"}]}}""", "Conversations:Tenants:0:Handoff:Routes:1:Labels must be a list")]
    public void A_value_of_the_wrong_shape_is_refused_rather_than_dropped(string settings, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Bind("""{"Conversations":{"Tenants":[""" + settings + "]}}"));
        Assert.Contains(expected, error.Message);
    }
}
