# The portfolio aggregates now belong to the dashboard app (its migration 0001 adopts the
# same tables); only Django's state changes here.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('portfolio', '0004_business_units'),
        ('dashboard', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='PortfolioAggregateState'),
                migrations.DeleteModel(name='PortfolioRealized'),
                migrations.DeleteModel(name='PortfolioTrendDay'),
            ],
        ),
    ]
