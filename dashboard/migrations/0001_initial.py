# The portfolio aggregates move from the portfolio app to the dashboard app. Their tables
# stay where portfolio's migration 0003 made them: this only tells Django's state.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('portfolio', '0003_portfolio_aggregates'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='PortfolioAggregateState',
                    fields=[
                        ('key', models.CharField(default='portfolio', max_length=16, primary_key=True, serialize=False)),
                        ('built_at', models.DateTimeField()),
                        ('trend_since', models.DateTimeField()),
                        ('realized_since', models.DateTimeField()),
                        ('duration_ms', models.PositiveIntegerField(default=0)),
                        ('rebuild_requested_at', models.DateTimeField(blank=True, null=True)),
                        ('confidentiality_changed_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'portfolio_portfolioaggregatestate',
                    },
                ),
                migrations.CreateModel(
                    name='PortfolioRealized',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('business_unit', models.CharField(max_length=100)),
                        ('stage', models.CharField(max_length=16)),
                        ('status', models.CharField(max_length=16)),
                        ('risk_tier', models.CharField(max_length=16)),
                        ('confidential', models.BooleanField()),
                        ('metric_key', models.CharField(max_length=64)),
                        ('has_case', models.BooleanField()),
                        ('pilots', models.PositiveIntegerField()),
                        ('mean_sum', models.FloatField()),
                    ],
                    options={
                        'db_table': 'portfolio_portfoliorealized',
                    },
                ),
                migrations.CreateModel(
                    name='PortfolioTrendDay',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('business_unit', models.CharField(max_length=100)),
                        ('stage', models.CharField(max_length=16)),
                        ('status', models.CharField(max_length=16)),
                        ('risk_tier', models.CharField(max_length=16)),
                        ('confidential', models.BooleanField()),
                        ('day', models.DateTimeField()),
                        ('metric_key', models.CharField(max_length=64)),
                        ('pilots', models.PositiveIntegerField()),
                        ('observations', models.PositiveBigIntegerField()),
                        ('total', models.FloatField()),
                        ('p95_sum', models.FloatField()),
                    ],
                    options={
                        'db_table': 'portfolio_portfoliotrendday',
                        'indexes': [models.Index(fields=['metric_key', 'day'], name='trendday_metric_day')],
                    },
                ),
            ],
        ),
    ]
